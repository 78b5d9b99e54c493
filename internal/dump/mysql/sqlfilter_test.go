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

const triggerDump = "CREATE TABLE `t` (a int);\n" +
	"INSERT INTO `t` VALUES (1),('xq.t is data, not a definition');\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER xq.tr BEFORE INSERT ON xq.t FOR EACH ROW SET NEW.a=NEW.a+1 */;;\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`a``b`@`%`*/ /*!50003 TRIGGER `XQ`.`tr 2` AFTER UPDATE ON `xq`.`t` FOR EACH ROW SET @x=1 */;;\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr3 AFTER DELETE ON t FOR EACH ROW DELETE FROM xq.log */;;\n" +
	"CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nSELECT * FROM `xq`.t, xqz.t, other.xq\n;;\n" +
	"-- Dump completed\n"

const wantTriggerDump = "CREATE TABLE `t` (a int);\n" +
	"INSERT INTO `t` VALUES (1),('xq.t is data, not a definition');\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a=NEW.a+1 */;;\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`a``b`@`%`*/ /*!50003 TRIGGER `tr 2` AFTER UPDATE ON `t` FOR EACH ROW SET @x=1 */;;\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr3 AFTER DELETE ON t FOR EACH ROW DELETE FROM xq.log */;;\n" +
	"CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nSELECT * FROM `xq`.t, xqz.t, other.xq\n;;\n" +
	"-- Dump completed\n"

// Trigger headers lose the source's qualifier, in either quoting and case,
// however the writes are split; mentions in bodies are kept and counted
// (one per line), table data is never searched.
func TestSQLFilterTriggerHeaders(t *testing.T) {
	for size := 1; size <= len(triggerDump); size++ {
		var out bytes.Buffer
		f := newSQLFilter(&out, nil)
		f.setSource("xq")
		in := []byte(triggerDump)
		for len(in) > 0 {
			k := min(size, len(in))
			f.Write(in[:k])
			in = in[k:]
		}
		f.Close()
		if out.String() != wantTriggerDump {
			t.Fatalf("size %d:\ngot  %q\nwant %q", size, out.String(), wantTriggerDump)
		}
		if n, sample := f.sourceReferences(); n != 2 || !strings.Contains(sample, "xq.log") {
			t.Fatalf("size %d: references = %d %q, want 2, the first naming xq.log", size, n, sample)
		}
	}
}
