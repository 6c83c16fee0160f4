package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type options struct {
	server, admin, ca        string
	adminUser, adminPassword string
	clients                  []int
	users, runs              int
	duration, warmup         time.Duration
	scenarios                []string
	engine                   string
	docs, results            int
	inProcess                string
	cpuProfile               string
	blockProfile             string
	serverPID                int
	tsv                      string
	transport                string
	sockets                  map[string]string // envelope listener URLs by transport
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("rampart-bench", flag.ContinueOnError)
	fs.StringVar(&o.server, "server", "https://127.0.0.1:8443", "public listener URL")
	fs.StringVar(&o.admin, "admin", "https://127.0.0.1:8444", "admin listener URL")
	fs.StringVar(&o.ca, "ca", "", "CA certificate to trust (the server's <data>/tls/ca.crt)")
	fs.StringVar(&o.adminUser, "admin-user", envOr("BENCH_ADMIN_USER", "admin"), "admin username (or BENCH_ADMIN_USER)")
	// No env default here: flag help would print it.
	fs.StringVar(&o.adminPassword, "admin-password", "", "admin password (better: BENCH_ADMIN_PASSWORD, which keeps it out of ps)")
	clients := fs.String("clients", "64", "concurrent clients, one connection each; a comma list measures each count")
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
	fs.StringVar(&o.transport, "transport", "rest", "what the measured requests travel over: "+strings.Join(transports, ", ")+
		" (pointread only for all but rest)")
	tcp := fs.String("tcp", "", "the envelope TCP listener, as tcp+tls://host:port (for -transport tcp)")
	unix := fs.String("unix", "", "the envelope unix socket, as unix:///path (for -transport unix)")
	fs.StringVar(&o.tsv, "tsv", "", "also append the table, tab-separated, to this file (header only when new)")
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
	if o.adminPassword == "" {
		o.adminPassword = os.Getenv("BENCH_ADMIN_PASSWORD")
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
	o.sockets = map[string]string{"tcp": *tcp, "unix": *unix}
	if !slices.Contains(transports, o.transport) {
		return o, fmt.Errorf("-transport: %q is not one of %s", o.transport, strings.Join(transports, ", "))
	}
	if o.transport != "rest" && (len(o.scenarios) != 1 || o.scenarios[0] != "pointread") {
		return o, fmt.Errorf("-transport %s measures the pointread scenario only", o.transport)
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-clients: %q is not a positive number", c)
		}
		o.clients = append(o.clients, n)
	}
	switch {
	case o.users < 1 || o.runs < 1 || o.docs < 1 || o.results < 1:
		return o, errors.New("-users, -runs, -docs and -results must be positive")
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
	e := &env{ep: ep, hc: ep.conn(), run: runID(), docs: o.docs, results: o.results, logf: logf,
		transport: o.transport, sockets: o.sockets}
	if e.admin, err = ep.login(ctx, e.hc, o.adminUser, o.adminPassword); err != nil {
		return err
	}
	if err := makeUsers(ctx, e, o.users); err != nil {
		return err
	}
	logf("run %s: %v clients over %s (one connection each), %d users, %v per run after %v warm-up, GOMAXPROCS %d here",
		e.run, o.clients, o.transport, o.users, o.duration, o.warmup, runtime.GOMAXPROCS(0))

	stopProfiles, err := startProfiles(o)
	if err != nil {
		return err
	}
	defer stopProfiles()

	var rows []result
	for _, name := range o.scenarios {
		r, err := runScenario(ctx, o, e, name)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	table := cells(rows)
	printTable(out, table)
	if o.tsv != "" {
		return appendTSV(o.tsv, table)
	}
	return nil
}

// runScenario sets a scenario up once, then measures it o.runs times for
// every client count, each followed by its median.
func runScenario(ctx context.Context, o options, e *env, name string) ([]result, error) {
	s, _ := findScenario(name)
	e.logf("%s: setting up", name)
	fn, err := s.setup(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("%s setup: %w", name, err)
	}
	var rows []result
	for _, clients := range o.clients {
		var runs []result
		for i := range o.runs {
			workers, err := newWorkers(ctx, e, clients)
			if err != nil {
				return nil, err
			}
			e.logf("%s: %d clients, run %d of %d", name, clients, i+1, o.runs)
			r := measure(ctx, workers, fn, o.warmup, o.duration, o.serverPID)
			closeWorkers(workers)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.scenario, r.engine, r.run, r.transport = name, o.engine, fmt.Sprint(i+1), o.transport
			if r.firstErr != nil {
				e.logf("%s run %d: %d errors, first: %v", name, i+1, r.errs, r.firstErr)
			}
			runs = append(runs, r)
		}
		rows = append(rows, runs...)
		if len(runs) > 1 {
			rows = append(rows, median(runs))
		}
	}
	return rows, nil
}

// startProfiles turns on the profiles asked for; the returned function
// writes them out.
func startProfiles(o options) (func(), error) {
	var stops []func()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if o.blockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		stops = append(stops, func() { writeProfiles(o.blockProfile) })
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}, nil
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
		if e.transport != "" && e.transport != "rest" {
			var err error
			if workers[i].rpc, err = e.ep.dialRPC(ctx, e.transport, e.sockets); err != nil {
				closeWorkers(workers[:i])
				return nil, err
			}
		}
	}
	return workers, nil
}

func closeWorkers(workers []*worker) {
	for _, w := range workers {
		w.hc.CloseIdleConnections()
		if w.rpc != nil {
			w.rpc.close()
		}
	}
}

var tableHeader = []string{"scenario", "engine", "run", "clients", "requests", "errors", "req/s",
	"p50", "p99", "max", "srv cores", "srv µs/req", "bench µs/req", "load", "target"}

// cells renders the rows as table cells, header first.
func cells(rows []result) [][]string {
	out := [][]string{tableHeader}
	for _, r := range rows {
		s, _ := findScenario(r.scenario)
		goal, met := s.target(r)
		name := r.scenario
		if r.transport != "" && r.transport != "rest" {
			name += "/" + r.transport
		}
		verdict := "met"
		// A run with errors, or in which nothing completed, meets nothing.
		if !met || r.ok == 0 || r.errs > 0 {
			verdict = "MISSED"
		}
		out = append(out, []string{
			name, r.engine, r.run, strconv.Itoa(r.clients), strconv.Itoa(r.ok + r.errs), strconv.Itoa(r.errs),
			num(r.rate(), 0), ms(r.p50), ms(r.p99), ms(r.max),
			num(r.srvCores, 2), num(r.srvPerReq, 0), num(r.benchPerReq, 0), num(r.load, 1), goal + " " + verdict,
		})
	}
	return out
}

func printTable(out io.Writer, table [][]string) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range table {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
}

// appendTSV adds the rows to a tab-separated file, with the header only
// when the file is new, so several invocations build one table.
func appendTSV(path string, table [][]string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err == nil && info.Size() > 0 {
		table = table[1:]
	}
	for _, row := range table {
		if _, err := fmt.Fprintln(f, strings.Join(row, "\t")); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// num prints v with the given decimals, or "-" when it is unknown.
func num(v float64, decimals int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
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
