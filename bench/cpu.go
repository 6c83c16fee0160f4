package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The load generator usually shares the machine with the server, so the
// table reports CPU time per request next to the rate: it stays comparable
// when other work on the host steals cores and the rate does not.

// cpuSample is the CPU time used so far by the bench and by the server.
type cpuSample struct {
	bench, server time.Duration
	serverOK      bool
}

// userHZ is the unit of /proc/<pid>/stat times; 100 on every Linux port
// Go supports.
const userHZ = 100

func sampleCPU(serverPID int) cpuSample {
	var s cpuSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if serverPID > 0 {
		s.server, s.serverOK = processCPU(serverPID)
	}
	return s
}

// processCPU reads utime+stime of pid from /proc.
func processCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces; the fields after it do not.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

// loadAvg is the host's one-minute load average, or -1.
func loadAvg() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
