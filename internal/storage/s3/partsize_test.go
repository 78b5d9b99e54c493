package s3

import "testing"

func TestPartSize(t *testing.T) {
	const MiB, GiB = 1 << 20, 1 << 30
	tests := []struct {
		name  string
		base  int64
		n     int
		fixed bool
		want  int64
	}{
		{"first part", 16 * MiB, 1, false, 16 * MiB},
		{"end of first block", 16 * MiB, 1000, false, 16 * MiB},
		{"second block doubles", 16 * MiB, 1001, false, 32 * MiB},
		{"third block", 16 * MiB, 2001, false, 64 * MiB},
		{"ninth block", 16 * MiB, 9000, false, 4 * GiB},
		{"last block is the maximum", 16 * MiB, 9001, false, 5 * GiB},
		{"last part", 5 * MiB, 10000, false, 5 * GiB},
		{"minimum base, ninth block", 5 * MiB, 8001, false, 1280 * MiB},
		{"ceiling", 1 * GiB, 4001, false, 5 * GiB},
		{"maximum base", 5 * GiB, 1, false, 5 * GiB},
		{"fixed", 16 * MiB, 9999, true, 16 * MiB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := partSize(tt.base, tt.n, tt.fixed); got != tt.want {
				t.Errorf("partSize(%d, %d, %v) = %d, want %d", tt.base, tt.n, tt.fixed, got, tt.want)
			}
		})
	}
}

// TestPartSizeReaches5TiB checks, part by part, that every allowed base size
// fits a 5 TiB object into 10,000 parts, that sizes never shrink and stay
// within S3's limits.
func TestPartSizeReaches5TiB(t *testing.T) {
	const fiveTiB = 5 << 40
	for _, base := range []int64{minPartSize, minPartSize + 1, 8 << 20, DefaultPartSize, 100 << 20, 1 << 30, maxPartSize} {
		var total, prev int64
		for n := 1; n <= maxParts; n++ {
			size := partSize(base, n, false)
			if size < prev || size < minPartSize || size > maxPartSize {
				t.Fatalf("base %d: part %d is %d bytes after %d", base, n, size, prev)
			}
			prev = size
			total += size
		}
		if total < fiveTiB {
			t.Errorf("base %d: 10,000 parts hold %d bytes, less than 5 TiB", base, total)
		}
		if got := capacity(base, false); got != total {
			t.Errorf("capacity(%d) = %d, want %d", base, got, total)
		}
	}
	if got, want := capacity(16<<20, true), int64(16<<20)*maxParts; got != want {
		t.Errorf("fixed capacity = %d, want %d", got, want)
	}
}
