package mysql

import (
	"bytes"
	"strings"
	"testing"
)

const sampleDump = "-- MariaDB dump\n-- Host: localhost    Database: src\n" +
	"CREATE TABLE `t` (\n  `a` int\n);\n" +
	"INSERT INTO `t` VALUES (1),(2);\n" +
	"INSERT INTO `we``ird` VALUES ('" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + "');\n" +
	"ALTER DATABASE `src` CHARACTER SET latin1 COLLATE latin1_swedish_ci ;\n" +
	"DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT RETURN 1 ;;\nDELIMITER ;\n" +
	"ALTER DATABASE `s``r c` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci ;;\n" +
	"ALTER DATABASES are not this\n" +
	"-- Dump completed on 2026-11-30\n"

const wantDump = "-- MariaDB dump\n-- Host: localhost    Database: src\n" +
	"CREATE TABLE `t` (\n  `a` int\n);\n" +
	"INSERT INTO `t` VALUES (1),(2);\n" +
	"INSERT INTO `we``ird` VALUES ('" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + "');\n" +
	"ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci ;\n" +
	"DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT RETURN 1 ;;\nDELIMITER ;\n" +
	"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci ;;\n" +
	"ALTER DATABASES are not this\n" +
	"-- Dump completed on 2026-11-30\n"

// TestSQLFilterAnySplit feeds the sample in every pair of chunk sizes: the
// output, the bytes observed and the longest line never depend on how the
// tool's writes were split.
func TestSQLFilterAnySplit(t *testing.T) {
	wantLen := int64(len("INSERT INTO `we``ird` VALUES ('');\n") + 80)
	for first := 1; first <= len(sampleDump); first++ {
		for _, size := range []int{1, 2, 3, 7, 16, 64, len(sampleDump)} {
			var out, seen bytes.Buffer
			f := newSQLFilter(&out, func(b []byte) { seen.Write(b) })
			in := []byte(sampleDump)
			chunk := first
			for len(in) > 0 {
				k := min(chunk, len(in))
				if n, err := f.Write(in[:k]); err != nil || n != k {
					t.Fatalf("Write = %d, %v", n, err)
				}
				in, chunk = in[k:], size
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != wantDump {
				t.Fatalf("first %d, size %d:\ngot  %q\nwant %q", first, size, out.String(), wantDump)
			}
			if seen.String() != wantDump {
				t.Fatalf("observer saw %q", seen.String())
			}
			if n, table := f.longest(); n != wantLen || table != "we`ird" {
				t.Fatalf("first %d, size %d: longest = %d %q, want %d %q", first, size, n, table, wantLen, "we`ird")
			}
		}
	}
}

func TestSQLFilterLongLinePassesThrough(t *testing.T) {
	long := "ALTER DATABASE `" + strings.Repeat("x", 3*maxHeld) + "` CHARACTER SET latin1;\n"
	var out bytes.Buffer
	f := newSQLFilter(&out, nil)
	f.Write([]byte(long))
	f.Close()
	if out.String() != long {
		t.Errorf("an over-long line was changed")
	}
	if n, _ := f.longest(); n != int64(len(long)) {
		t.Errorf("longest = %d, want %d", n, len(long))
	}
}

func TestSQLFilterUnterminatedTail(t *testing.T) {
	var out bytes.Buffer
	f := newSQLFilter(&out, nil)
	f.Write([]byte("x;\nALTER DATA"))
	f.Close()
	if out.String() != "x;\nALTER DATA" {
		t.Errorf("got %q", out.String())
	}
}

// mariadb-dump starts a row longer than its buffer on a line of its own;
// the row's table is still known.
func TestSQLFilterLongRowOnItsOwnLine(t *testing.T) {
	f := newSQLFilter(&bytes.Buffer{}, nil)
	f.Write([]byte("INSERT INTO `a` VALUES (1);\nINSERT INTO `files` VALUES \n(1,'" + strings.Repeat("x", 500) + "'),\n(2,'y');\n"))
	f.Close()
	if n, table := f.longest(); n != 508 || table != "files" {
		t.Errorf("longest = %d %q, want 508 \"files\"", n, table)
	}
}
