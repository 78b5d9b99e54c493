package config

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"filippo.io/age"
)

const notRecipient = "not an age X25519 public key (age1...)"

// encryption checks the recipients given inline, reads and checks those in
// recipients_file, merges them into Recipients (without duplicates), and
// makes sure identity_file can be read. It never reads the identity itself.
func (c *checker) encryption() {
	e := c.cfg.Encryption
	if e == nil {
		return
	}
	seen := map[string]bool{}
	var all []string
	bad := false // a recipient problem was reported
	keep := func(r string) {
		if !seen[r] {
			seen[r] = true
			all = append(all, r)
		}
	}
	for i, r := range e.Recipients {
		r = strings.TrimSpace(r)
		if _, err := age.ParseX25519Recipient(r); err != nil {
			c.ps.add(indexPath("encryption.recipients", i), notRecipient)
			bad = true
			continue
		}
		keep(r)
	}
	if e.RecipientsFile != "" {
		name := e.RecipientsFile
		e.RecipientsFile = resolvePath(c.baseDir, name)
		found, ok := c.recipientsFile(e.RecipientsFile, name)
		for _, r := range found {
			keep(r)
		}
		bad = bad || !ok
	}
	e.Recipients = all
	if len(all) == 0 && !bad {
		c.ps.add("encryption.recipients", "at least one recipient is required (recipients or recipients_file)")
	}
	if e.IdentityFile != "" {
		name := e.IdentityFile
		e.IdentityFile = resolvePath(c.baseDir, name)
		if msg := readableFile(e.IdentityFile, name); msg != "" {
			c.ps.add("encryption.identity_file", msg)
		}
	}
}

// recipientsFile reads one recipient per line; blank lines and lines
// starting with # are skipped. ok is false when a problem was reported.
func (c *checker) recipientsFile(path, name string) (found []string, ok bool) {
	const key = "encryption.recipients_file"
	data, err := os.ReadFile(path)
	if err != nil {
		c.ps.addf(key, "cannot read %q: %s", name, fileError(err))
		return nil, false
	}
	var badLines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		r := strings.TrimSpace(sc.Text())
		if r == "" || strings.HasPrefix(r, "#") {
			continue
		}
		if _, err := age.ParseX25519Recipient(r); err != nil {
			badLines = append(badLines, strconv.Itoa(line))
			continue
		}
		found = append(found, r)
	}
	switch {
	case sc.Err() != nil:
		c.ps.addf(key, "cannot read %q: %s", name, sc.Err())
		return nil, false
	case len(badLines) > 0:
		c.ps.addf(key, "%q line %s: %s", name, strings.Join(badLines, ", "), notRecipient)
		return found, false
	}
	return found, true
}
