package s3

import "fmt"

// S3's multipart limits.
const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
	// growEvery is how many parts are uploaded before the part size doubles.
	growEvery = 1000
)

// partSize is the size of part n (1-based) of an upload whose parts start at
// base bytes. The size doubles every growEvery parts up to maxPartSize, and
// the last growEvery parts always use maxPartSize. So small and medium objects
// use small buffers, while any base from minPartSize up reaches 5 TiB within
// maxParts parts (see capacity). With fixed set the size never changes.
func partSize(base int64, n int, fixed bool) int64 {
	if fixed {
		return base
	}
	if n > maxParts-growEvery {
		return maxPartSize
	}
	return min(base<<((n-1)/growEvery), maxPartSize)
}

// capacity is the largest object an upload with this schedule can hold.
func capacity(base int64, fixed bool) int64 {
	var total int64
	for n := 1; n <= maxParts; n += growEvery {
		total += growEvery * partSize(base, n, fixed)
	}
	return total
}

// errTooLarge says a stream did not fit into maxParts parts.
func errTooLarge(base int64, fixed bool) error {
	return fmt.Errorf("object exceeds %d bytes, the most %d parts starting at %d bytes can hold", capacity(base, fixed), maxParts, base)
}
