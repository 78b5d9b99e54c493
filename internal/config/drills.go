package config

// Drills schedule restore drills: the newest successful backup of each job
// is restored into a scratch database, compared with its fingerprint and
// dropped. An empty Schedule means no scheduled drills (the CLI and the API
// can still run them).
type Drills struct {
	Schedule string `yaml:"schedule"`
	// Servers narrows scheduled drills to the backups of these servers;
	// empty means all of them.
	Servers []string `yaml:"servers"`
	// TargetServer, when set, is where drills restore backups of its own
	// engine type; empty means each backup's own server. Only scratch
	// databases (dump.IsDrillName) are ever created or dropped there.
	TargetServer string `yaml:"target_server"`
	// Concurrency is how many drills run at once (default 1, at most
	// MaxDrillConcurrency). Two drills
	// never run on the same server at once, whatever this says.
	Concurrency int `yaml:"concurrency"`
}

// DefaultDrillConcurrency is drills.concurrency when not given;
// MaxDrillConcurrency bounds it: each drill holds a full restore's load on
// a server, and more at once than this is a typo.
const (
	DefaultDrillConcurrency = 1
	MaxDrillConcurrency     = 64
)

// drills checks the drills section: its schedule, the servers it names and
// that a target server can take the backups of the servers listed, each
// listed once.
func (c *checker) drills() {
	d := c.cfg.Drills
	if d.Schedule != "" {
		if err := checkSchedule(d.Schedule); err != nil {
			c.ps.add("drills.schedule", err.Error())
		}
	}
	c.between("drills.concurrency", d.Concurrency, 1, MaxDrillConcurrency)
	target := c.cfg.Server(d.TargetServer)
	if d.TargetServer != "" && target == nil {
		c.ps.addf("drills.target_server", "unknown server %q", d.TargetServer)
	}
	first := map[string]string{}
	for i, name := range d.Servers {
		path := indexPath("drills.servers", i)
		s := c.cfg.Server(name)
		if at, dup := first[name]; dup {
			c.ps.addf(path, "duplicate server %q (first listed at %s)", name, at)
			continue
		}
		first[name] = path
		switch {
		case s == nil:
			c.ps.addf(path, "unknown server %q", name)
		case target != nil && s.Type != target.Type:
			c.ps.addf(path, "server %q is %s; drills.target_server %q is %s and cannot restore its backups",
				name, s.Type, target.Name, target.Type)
		}
	}
}
