package config

import "testing"

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
	}{
		{"0", 0},
		{"123", 123},
		{"512KiB", 512 << 10},
		{"16MiB", 16 << 20},
		{"16 MiB", 16 << 20},
		{"16mib", 16 << 20},
		{"64MB", 64_000_000},
		{"1GiB", 1 << 30},
		{"2TB", 2_000_000_000_000},
		{"10B", 10},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil {
			t.Errorf("ParseByteSize(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseByteSizeRejects(t *testing.T) {
	for _, in := range []string{"", "MiB", "-5MiB", "1.5GiB", "16M", "16 megabytes", "99999999999TiB"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0"},
		{1000, "1000"},
		{5 * MiB, "5MiB"},
		{1536 * KiB, "1536KiB"},
		{3 * GiB, "3GiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}
