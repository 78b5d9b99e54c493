// Package retention decides which stored backups a storage keeps and which
// it deletes. Plan is a pure function of the policy and the catalog's
// backups: it does no I/O and reads no clock, so the same input always gives
// the same plan, and a plan can be shown (prune --dry-run) before it is
// applied.
//
// # Rules
//
// A policy gives, per backup type, a Rule: keep the newest Keep backups,
// delete backups older than MaxAge, or both. With both, a backup goes when it
// is outside the newest Keep OR older than MaxAge. A type without a rule is
// kept forever.
//
// Backups are grouped per server × database × type, and Keep counts within a
// group, on one storage at a time. Only good copies count: a backup takes
// part when its status is success or partial and its location on the storage
// has status success. Everything else is left out of the plan, neither
// counted nor deleted: failed and interrupted runs, copies that failed or are
// still pending on this storage, and backups or copies already deleted. A
// failed run therefore never pushes a good backup out. A backup still running
// is listed as kept, with its reason, and never counted or deleted.
//
// The newest good backup of each group is always kept, whatever the rule,
// and so is the newest good backup without a size anomaly: when the newest
// ones are far smaller than their job's usual size (data lost?), the last
// backup of the full database stays.
//
// # Ages and clock jumps
//
// Ages are measured from the newest good backup of the group on the storage,
// never from the wall clock: backups that stopped three months ago keep the
// same history they had then, and Plan needs no clock at all.
//
// That alone does not survive a clock that jumps forward: one backup stamped
// a year ahead makes every earlier backup "older than MaxAge". So MaxAge only
// removes backups that newer backups have replaced. Let the window be the
// backups within MaxAge of the newest. If the oldest backup in the window and
// the newest one outside it are more than MaxAge apart (a gap that only a
// clock jump, or backups that stopped for longer than MaxAge, can leave),
// nothing is deleted for age and only Keep applies. Once the backups made
// after the gap themselves span MaxAge, the gap falls outside the window and
// everything older than MaxAge goes as usual. A single new backup after a jump
// or a long outage thus never deletes more than Keep alone would; with MaxAge
// and no Keep, the old backups stay until the new ones span MaxAge.
//
// A clock that jumps backward cannot be seen in the timestamps: backups made
// after it sort as older than those made before. They are still counted by
// their start time.
package retention
