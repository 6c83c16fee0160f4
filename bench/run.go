package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// worker is one simulated client: one connection, one token, its own
// random source and latency histogram, so the hot loop shares nothing.
type worker struct {
	id    int
	hc    *http.Client
	rpc   *rpcClient // set when the scenario runs over the protobuf services
	token string
	rng   *rand.Rand
	seq   int
	buf   []byte // scratch for request bodies
	hist  histogram
	ok    int
	errs  int
	first error
}

// op is one request of a scenario; it returns an error for any answer that
// is not the expected one.
type op func(ctx context.Context, w *worker) error

// result is one measured run.
type result struct {
	scenario, engine string
	transport        string // what the requests travelled over; "" or rest for REST
	run              string
	clients          int
	ok, errs         int
	elapsed          time.Duration
	p50, p99, max    time.Duration
	firstErr         error
	cpu              cpuSample // used inside the window
	load             float64   // host load average at the end
	// Derived from cpu, or picked one by one in a median row.
	srvCores, srvPerReq, benchPerReq float64
}

// derive fills the CPU figures; per-request ones are in microseconds and
// NaN when nothing succeeded.
func (r *result) derive() {
	perReq := func(d time.Duration) float64 {
		if r.ok == 0 {
			return math.NaN()
		}
		return float64(d.Microseconds()) / float64(r.ok)
	}
	r.srvCores, r.srvPerReq = math.NaN(), math.NaN()
	if r.cpu.serverOK {
		r.srvCores = r.cpu.server.Seconds() / r.elapsed.Seconds()
		r.srvPerReq = perReq(r.cpu.server)
	}
	r.benchPerReq = perReq(r.cpu.bench)
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// measure runs op on every worker for warmup+duration and keeps what
// completed inside the measured window. Requests still in flight when the
// window closes are dropped, so the rate is never inflated.
func measure(ctx context.Context, workers []*worker, fn op, warmup, duration time.Duration, serverPID int) result {
	begin := time.Now()
	from, to := begin.Add(warmup), begin.Add(warmup+duration)
	var wg sync.WaitGroup
	for _, w := range workers {
		w.hist, w.ok, w.errs, w.first = histogram{}, 0, 0, nil
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				err := fn(ctx, w)
				end := time.Now()
				if !end.Before(to) {
					return
				}
				if end.Before(from) {
					continue
				}
				w.hist.record(end.Sub(start))
				if err == nil {
					w.ok++
					continue
				}
				w.errs++
				if w.first == nil {
					w.first = err
				}
				// A refused connection fails in microseconds; do not spin.
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	sleepUntil(ctx, from)
	c0 := sampleCPU(serverPID)
	sleepUntil(ctx, to)
	c1 := sampleCPU(serverPID)
	wg.Wait()
	var all histogram
	r := result{clients: len(workers), elapsed: duration, load: loadAvg()}
	r.cpu = cpuSample{bench: c1.bench - c0.bench, server: c1.server - c0.server, serverOK: c0.serverOK && c1.serverOK}
	for _, w := range workers {
		all.merge(&w.hist)
		r.ok += w.ok
		r.errs += w.errs
		if r.firstErr == nil && w.first != nil && !errors.Is(w.first, context.Canceled) {
			r.firstErr = w.first
		}
	}
	r.p50, r.p99, r.max = all.quantile(0.50), all.quantile(0.99), all.max
	r.derive()
	return r
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-time.After(time.Until(t)):
	case <-ctx.Done():
	}
}

// median summarises several runs figure by figure.
func median(runs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m := runs[0]
	m.run = "median"
	m.ok = int(pick(func(r result) float64 { return float64(r.ok) }))
	m.errs = int(pick(func(r result) float64 { return float64(r.errs) }))
	m.elapsed = runs[0].elapsed
	m.p50 = time.Duration(pick(func(r result) float64 { return float64(r.p50) }))
	m.p99 = time.Duration(pick(func(r result) float64 { return float64(r.p99) }))
	m.max = time.Duration(pick(func(r result) float64 { return float64(r.max) }))
	m.srvCores = pick(func(r result) float64 { return r.srvCores })
	m.srvPerReq = pick(func(r result) float64 { return r.srvPerReq })
	m.benchPerReq = pick(func(r result) float64 { return r.benchPerReq })
	m.load = pick(func(r result) float64 { return r.load })
	m.cpu = cpuSample{}
	m.firstErr = nil
	return m
}
