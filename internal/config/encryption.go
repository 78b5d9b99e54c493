package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"filippo.io/age"
)

const notRecipient = "not an age X25519 public key (age1...)"

// encryption checks the recipients given inline, reads and checks those in
// recipients_file, merges them into Recipients (without duplicates), and
// parses identity_file, warning when none of its identities can decrypt
// what the recipients encrypt. A section written with no value (every key
// commented out) is a problem: it would otherwise store plaintext.
func (c *checker) encryption() {
	e := c.cfg.Encryption
	if e == nil {
		if c.ps.has("encryption") {
			c.ps.add("encryption", "has no value: set recipients or recipients_file, or remove encryption to store backups unencrypted")
		}
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
			return
		}
		ids, ok := c.identityFile(e.IdentityFile, name)
		if ok && !bad && len(all) > 0 && !matchesAny(ids, seen) {
			c.ps.warnf("encryption.identity_file", "no identity in %q matches a recipient: it cannot restore backups made with this configuration", name)
		}
	}
}

const notIdentity = "not an age identity (AGE-SECRET-KEY-1...)"

// identityFile parses the identities in path (written as name) as restore
// does (age.ParseIdentities). ok is false when a problem was reported.
// Messages name line numbers only, never a line's content.
func (c *checker) identityFile(path, name string) (ids []age.Identity, ok bool) {
	const key = "encryption.identity_file"
	data, err := os.ReadFile(path)
	if err != nil {
		c.ps.addf(key, "cannot read %q: %s", name, fileError(err))
		return nil, false
	}
	ids, err = age.ParseIdentities(bytes.NewReader(data))
	if err == nil {
		return ids, true
	}
	// Name the lines that do not parse; age's own message may quote a
	// character of a malformed key.
	var badLines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if _, err := age.ParseIdentities(strings.NewReader(l)); err != nil {
			badLines = append(badLines, strconv.Itoa(line))
		}
	}
	switch {
	case len(badLines) > 0:
		c.ps.addf(key, "%q line %s: %s", name, strings.Join(badLines, ", "), notIdentity)
	case strings.Contains(err.Error(), "no identities found"):
		c.ps.addf(key, "%q holds no identity (AGE-SECRET-KEY-1...)", name)
	default:
		c.ps.addf(key, "%q: %s", name, identityFileError(err))
	}
	return nil, false
}

// identityFileError keeps age's messages about the file as a whole (not
// UTF-8, too long, unreadable), which quote none of its content.
func identityFileError(err error) string {
	msg := err.Error()
	for _, known := range []string{"not valid UTF-8", "too long", "failed to read"} {
		if strings.Contains(msg, known) {
			return msg
		}
	}
	return notIdentity
}

// matchesAny reports whether one of ids is the identity of a recipient in
// recipients (keyed by their age1... strings).
func matchesAny(ids []age.Identity, recipients map[string]bool) bool {
	for _, id := range ids {
		var r fmt.Stringer
		switch id := id.(type) {
		case *age.X25519Identity:
			r = id.Recipient()
		case *age.HybridIdentity:
			r = id.Recipient()
		default:
			continue
		}
		if recipients[r.String()] {
			return true
		}
	}
	return false
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
