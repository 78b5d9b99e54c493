package mysql

// valueStop marks the bytes that matter in an INSERT outside quotes.
var valueStop = func() (t [256]bool) {
	for _, c := range "'\"`();" {
		t[c] = true
	}
	return t
}()

// mayStop reports whether one of the eight bytes in x may be a valueStop
// byte: one of 0x22-0x29 (" # $ % & ' ( ), the four in between never
// occur outside strings) or ; or `. It never misses one; bytes from 0x80
// up never match. Eight bytes at a time, most of a row of numbers is passed
// over without looking at each byte (bit twiddling hacks: hasbetween,
// haszero).
func mayStop(x uint64) bool {
	const lo, hi, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	x7 := x & low7
	between := (lo*(127+0x2a) - x7) & ^x & (x7 + lo*(127-0x21)) & hi
	semi := x ^ lo*';'
	tick := x ^ lo*'`'
	return between|(semi-lo)&^semi&hi|(tick-lo)&^tick&hi != 0
}
