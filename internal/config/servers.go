package config

import (
	"path"
)

// Server types.
const (
	TypeMySQL    = "mysql"
	TypePostgres = "postgres"
)

func (c *checker) servers() {
	if len(c.cfg.Servers) == 0 {
		c.ps.add("servers", "at least one server is required")
	}
	seen := map[string]string{}
	for i := range c.cfg.Servers {
		c.server(indexPath("servers", i), &c.cfg.Servers[i], seen)
	}
}

func (c *checker) server(p string, s *Server, seen map[string]string) {
	c.name(p+".name", s.Name, "server", seen)
	switch s.Type {
	case TypeMySQL, TypePostgres:
	case "":
		c.ps.add(p+".type", "required (mysql or postgres)")
	default:
		c.ps.addf(p+".type", "must be mysql or postgres, not %q", s.Type)
	}
	switch {
	case s.Host == "" && s.Socket == "":
		c.ps.add(p+".host", "host or socket is required")
	case s.Host != "" && s.Socket != "":
		c.ps.add(p+".socket", "cannot be used together with host")
	}
	if c.ps.has(p+".port") && (s.Port < 1 || s.Port > 65535) {
		c.ps.add(p+".port", "must be between 1 and 65535")
	}
	if s.User == "" {
		c.ps.add(p+".user", "required")
	}
	dbs := map[string]bool{}
	for j, db := range s.Databases {
		dp := indexPath(p+".databases", j)
		if msg := databaseProblem(db); msg != "" {
			c.ps.add(dp, msg)
		} else if dbs[db] {
			c.ps.addf(dp, "database %q is listed twice", db)
		}
		dbs[db] = true
	}
	for j, pattern := range s.Exclude {
		if _, err := path.Match(pattern, ""); err != nil || pattern == "" {
			c.ps.addf(indexPath(p+".exclude", j), "invalid glob pattern %q", pattern)
		}
	}
	if s.Type != TypeMySQL && s.Type != TypePostgres {
		return
	}
	for j, opt := range s.DumpOptions {
		if msg := dumpOptionProblem(s.Type, opt); msg != "" {
			c.ps.add(indexPath(p+".dump_options", j), msg)
		}
	}
}
