package mysql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// maxOptionValue keeps every option-file line well under the 4 KiB line
// buffer of the client library's option-file reader.
const maxOptionValue = 1024

// optionFile renders the [client] group that carries the credentials and
// address. The tools read it via --defaults-extra-file, which must be their
// first argument.
func optionFile(c dump.Conn) ([]byte, error) {
	var b strings.Builder
	b.WriteString("[client]\n")
	add := func(key, val string) error {
		q, err := quoteOption(val)
		if err != nil {
			return errors.New("option file: " + key + ": " + err.Error())
		}
		b.WriteString(key + "=" + q + "\n")
		return nil
	}
	if c.User != "" {
		if err := add("user", c.User); err != nil {
			return nil, err
		}
	}
	// An empty password is left out: "password=" alone would mean "ask".
	if c.Password != "" {
		if err := add("password", c.Password); err != nil {
			return nil, err
		}
	}
	if c.Socket != "" {
		if err := add("socket", c.Socket); err != nil {
			return nil, err
		}
		b.WriteString("protocol=SOCKET\n")
	} else {
		if err := add("host", host(c)); err != nil {
			return nil, err
		}
		b.WriteString("port=" + strconv.Itoa(port(c)) + "\n")
		// Without this, host=localhost would silently mean the default socket
		// for the tools while the Go driver uses TCP.
		b.WriteString("protocol=TCP\n")
	}
	return []byte(b.String()), nil
}

// quoteOption quotes an option-file value: in double quotes, with \ " ' and
// control characters backslash-escaped, as the client library's reader
// undoes it. Inside quotes, '#' does not start a comment and spaces are kept.
func quoteOption(v string) (string, error) {
	if strings.ContainsRune(v, 0) {
		return "", errors.New("value contains NUL")
	}
	if len(v) > maxOptionValue {
		return "", errors.New("value too long")
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

func host(c dump.Conn) string {
	if c.Host == "" {
		return "127.0.0.1"
	}
	return c.Host
}

func port(c dump.Conn) int {
	if c.Port == 0 {
		return 3306
	}
	return c.Port
}
