package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type options struct {
	server, admin, ca        string
	adminUser, adminPassword string
	clients, users, runs     int
	duration, warmup         time.Duration
	scenarios                []string
	engine                   string
	docs, results            int
	inProcess                string
	cpuProfile               string
	blockProfile             string
	serverPID                int
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("rampart-bench", flag.ContinueOnError)
	fs.StringVar(&o.server, "server", "https://127.0.0.1:8443", "public listener URL")
	fs.StringVar(&o.admin, "admin", "https://127.0.0.1:8444", "admin listener URL")
	fs.StringVar(&o.ca, "ca", "", "CA certificate to trust (the server's <data>/tls/ca.crt)")
	fs.StringVar(&o.adminUser, "admin-user", envOr("BENCH_ADMIN_USER", "admin"), "admin username (or BENCH_ADMIN_USER)")
	fs.StringVar(&o.adminPassword, "admin-password", os.Getenv("BENCH_ADMIN_PASSWORD"), "admin password (better: BENCH_ADMIN_PASSWORD)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients, one connection each")
	fs.IntVar(&o.users, "users", 8, "distinct users the clients sign in as (round robin)")
	fs.IntVar(&o.runs, "runs", 1, "measured runs per scenario; with more than one a median row follows")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per run")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured time before each run")
	scen := fs.String("scenario", "all", "pointread, insert, query, a comma list, or all")
	fs.StringVar(&o.engine, "engine", "", "label for the engine column (e.g. sqlite, postgres)")
	fs.IntVar(&o.docs, "docs", 100000, "documents seeded for the query scenario")
	fs.IntVar(&o.results, "results", 20, "documents one query returns")
	fs.StringVar(&o.inProcess, "inprocess", "", "instead of -server/-admin, run a node inside the bench on this data directory "+
		"(SQLite; for profiling together with -cpuprofile)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "process id of the server, to report its CPU time per request (Linux, same host)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process to the file")
	fs.StringVar(&o.blockProfile, "blockprofile", "", "write a profile of where goroutines of this process waited (block and mutex) to FILE.block and FILE.mutex")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: rampart-bench [flags]\n\nscenarios:\n")
		for _, s := range scenarios {
			fmt.Fprintf(fs.Output(), "  %-10s %s\n", s.name, s.about)
		}
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *scen == "all" {
		for _, s := range scenarios {
			o.scenarios = append(o.scenarios, s.name)
		}
	} else {
		for _, name := range strings.Split(*scen, ",") {
			if _, ok := findScenario(strings.TrimSpace(name)); !ok {
				return o, fmt.Errorf("unknown scenario %q", name)
			}
			o.scenarios = append(o.scenarios, strings.TrimSpace(name))
		}
	}
	switch {
	case o.clients < 1 || o.users < 1 || o.runs < 1 || o.docs < 1 || o.results < 1:
		return o, errors.New("-clients, -users, -runs, -docs and -results must be positive")
	case o.duration <= 0 || o.warmup < 0:
		return o, errors.New("-duration must be positive and -warmup not negative")
	case o.inProcess == "" && o.adminPassword == "":
		return o, errors.New("set the admin password with BENCH_ADMIN_PASSWORD (or -admin-password)")
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rampart-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.inProcess != "" {
		stopNode, err := startInProcess(ctx, &o)
		if err != nil {
			return err
		}
		defer stopNode()
	}
	ep, err := newEndpoint(strings.TrimRight(o.server, "/"), strings.TrimRight(o.admin, "/"), o.ca)
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	e := &env{ep: ep, hc: ep.conn(), run: runID(), docs: o.docs, results: o.results, logf: logf}
	if e.admin, err = ep.login(ctx, e.hc, o.adminUser, o.adminPassword); err != nil {
		return err
	}
	if err := makeUsers(ctx, e, o.users); err != nil {
		return err
	}
	logf("run %s: %d clients over HTTP/1.1 keep-alive (one TLS connection each), %d users, %v per run after %v warm-up, GOMAXPROCS %d here",
		e.run, o.clients, o.users, o.duration, o.warmup, runtime.GOMAXPROCS(0))

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if o.blockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		defer writeProfiles(o.blockProfile)
	}

	var rows []result
	for _, name := range o.scenarios {
		s, _ := findScenario(name)
		logf("%s: setting up", name)
		fn, err := s.setup(ctx, e)
		if err != nil {
			return fmt.Errorf("%s setup: %w", name, err)
		}
		var runs []result
		for i := range o.runs {
			workers, err := newWorkers(ctx, e, o.clients)
			if err != nil {
				return err
			}
			logf("%s: run %d of %d", name, i+1, o.runs)
			r := measure(ctx, workers, fn, o.warmup, o.duration, o.serverPID)
			closeWorkers(workers)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.scenario, r.engine, r.run = name, o.engine, fmt.Sprint(i+1)
			if r.firstErr != nil {
				logf("%s run %d: %d errors, first: %v", name, i+1, r.errs, r.firstErr)
			}
			runs = append(runs, r)
		}
		rows = append(rows, runs...)
		if len(runs) > 1 {
			rows = append(rows, median(runs))
		}
	}
	printTable(out, rows)
	return nil
}

func writeProfiles(base string) {
	for _, name := range []string{"block", "mutex"} {
		f, err := os.Create(base + "." + name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rampart-bench:", err)
			continue
		}
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			fmt.Fprintln(os.Stderr, "rampart-bench:", err)
		}
		f.Close()
	}
}

// makeUsers creates the bench's users through the admin API.
func makeUsers(ctx context.Context, e *env, n int) error {
	for i := range n {
		u := benchUser{name: fmt.Sprintf("%s-u%d", e.run, i), password: randomPassword()}
		var err error
		if u.id, err = e.ep.createUser(ctx, e.hc, e.admin, u.name, u.password); err != nil {
			return err
		}
		e.users = append(e.users, u)
	}
	return nil
}

// newWorkers signs every user in afresh, so tokens cannot expire during a
// run, and opens one connection per client before the clock starts.
func newWorkers(ctx context.Context, e *env, clients int) ([]*worker, error) {
	tokens := make([]string, len(e.users))
	for i := range e.users {
		var err error
		if tokens[i], err = e.userToken(ctx, i); err != nil {
			return nil, err
		}
	}
	workers := make([]*worker, clients)
	for i := range workers {
		workers[i] = &worker{
			id: i, hc: e.ep.conn(), token: tokens[i%len(tokens)],
			rng: mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))),
		}
	}
	return workers, nil
}

func closeWorkers(workers []*worker) {
	for _, w := range workers {
		w.hc.CloseIdleConnections()
	}
}

func printTable(out io.Writer, rows []result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tengine\trun\tclients\trequests\terrors\treq/s\tp50\tp99\tmax\tsrv cores\tsrv µs/req\tbench µs/req\tload\ttarget\t")
	for _, r := range rows {
		s, _ := findScenario(r.scenario)
		goal, met := s.target(r)
		verdict := "met"
		if !met {
			verdict = "MISSED"
		}
		srvCores, srvPer := "-", "-"
		if r.cpu.serverOK {
			srvCores = fmt.Sprintf("%.2f", r.cpu.server.Seconds()/r.elapsed.Seconds())
			srvPer = perRequest(r.cpu.server, r.ok)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s %s\t\n",
			r.scenario, r.engine, r.run, r.clients, r.ok+r.errs, r.errs, r.rate(),
			ms(r.p50), ms(r.p99), ms(r.max), srvCores, srvPer, perRequest(r.cpu.bench, r.ok), r.load, goal, verdict)
	}
	tw.Flush()
}

func perRequest(cpu time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(cpu.Microseconds())/float64(n))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// runID names this run's users, roles and collections.
func runID() string {
	return fmt.Sprintf("b%x", time.Now().Unix()%0xffffff) + strings.ToLower(rand.Text()[:6])
}

const letters = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomPassword() string { return rand.Text() }

func randomText(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[mrand.IntN(len(letters))]
	}
	return string(b)
}
