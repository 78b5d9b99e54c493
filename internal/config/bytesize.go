package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes, written as a plain integer or with a unit:
// decimal (KB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB), e.g. "16MiB", "64MB".
// Units are case-insensitive and may follow a space.
type ByteSize int64

// Binary sizes.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": int64(KiB), "mib": int64(MiB), "gib": int64(GiB), "tib": int64(TiB),
}

// ParseByteSize parses a size such as "123", "512KiB", "16MiB", "64MB", "1GiB".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && '0' <= t[i] && t[i] <= '9' {
		i++
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || !ok || err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q (use bytes or a unit, e.g. 512KiB, 16MiB, 64MB, 1GiB)", s)
	}
	return ByteSize(n * mult), nil
}

// String uses the largest binary unit that divides the size exactly.
func (b ByteSize) String() string {
	for _, u := range []struct {
		size ByteSize
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText encodes the size as String does.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText parses text with ParseByteSize.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

func (ByteSize) expected() string { return "a size such as 16MiB, 64MB or 1048576" }
