package retention

// StoragePlan is the retention plan of one storage, and what of it was done.
type StoragePlan struct {
	Storage   string
	Decisions []Decision
	// Deleted are the delete decisions that were carried out: the copy is
	// gone from the storage and the catalog says so. Empty in a dry run.
	Deleted []Decision
}
