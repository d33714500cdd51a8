package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The server's CPU time and resident memory come from /proc/<pid>: the
// tool and the server run on the same machine.

// clockTicks is the unit of utime and stime in /proc/<pid>/stat. Linux
// has reported USER_HZ = 100 on every architecture Go supports for
// decades; reading it would need cgo's sysconf.
const clockTicks = 100

// procCPU returns the CPU seconds (user + system) the process has used.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// After the name: state(0) ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime(11) stime(12).
	if len(f) < 13 {
		return 0, errors.New("malformed stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed stat")
	}
	return float64(ut+st) / clockTicks, nil
}

// procRSS returns the process's resident memory in bytes.
func procRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("malformed VmRSS %q", v)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmRSS in status")
}

// pidListening finds the process that listens on a TCP port of this
// machine: the socket's inode from /proc/net/tcp{,6}, then the process
// holding a descriptor on it.
func pidListening(port int) (int, error) {
	inodes := map[string]bool{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := listeningInodes(name, port, inodes); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process listens on port %d", port)
	}
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(p + "/fd")
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, fd := range fds {
			link, err := os.Readlink(p + "/fd/" + fd.Name())
			if err != nil {
				continue
			}
			if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the socket listening on port %d belongs to no process this user can see; pass -server-pid", port)
}

// listeningInodes adds the inodes of the sockets in a /proc/net/tcp table
// that listen on port.
func listeningInodes(name string, port int, into map[string]bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], want) {
			continue
		}
		into[f[9]] = true
	}
	return sc.Err()
}

// selfPID is this process's id.
func selfPID() int { return os.Getpid() }

// machineCPU returns the busy and total CPU seconds of the whole machine,
// every CPU summed, from the first line of /proc/stat: busy counts user,
// nice, system, irq, softirq and steal time, the kernel's network work
// for loopback connections included, which no process is charged for.
func machineCPU() (busy, total float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, errors.New("malformed /proc/stat")
	}
	var v [8]float64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return 0, 0, errors.New("malformed /proc/stat")
		}
		v[i] = float64(n) / clockTicks
	}
	// user nice system idle iowait irq softirq steal
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return busy, busy + v[3] + v[4], nil
}

// allProcCPU returns the CPU seconds used so far by every process this
// user can see, by pid.
func allProcCPU() map[int]float64 {
	out := map[int]float64{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil {
			continue
		}
		if cpu, err := procCPU(pid); err == nil {
			out[pid] = cpu
		}
	}
	return out
}

// otherCPU returns the CPU seconds that processes other than those in
// skip used between two readings of allProcCPU. A process born in
// between counts from zero; one that ended in between is not seen.
func otherCPU(before, after map[int]float64, skip ...int) float64 {
	var sum float64
	for pid, cpu := range after {
		if slices.Contains(skip, pid) {
			continue
		}
		sum += max(cpu-before[pid], 0)
	}
	return sum
}
