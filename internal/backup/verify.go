package backup

// VerifyResult is the outcome of reading one stored copy back.
type VerifyResult struct {
	Storage string // the storage the copy is in
	Key     string // the object's key in that storage
	// Deep is true when the object was also decrypted and decompressed in full.
	Deep bool
	// Err says why the copy is bad (nil: it checked out).
	Err error
}
