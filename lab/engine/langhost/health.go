package main

import (
	"context"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// defaultHealthInterval is how often the host asks the engine whether it is still there. When the engine is gone
// (killed, crashed), the host stops serving and exits, as every upstream language host does through the same
// rpcutil.Healthcheck; without it a killed `pulumi` leaves its language host running for good.
const defaultHealthInterval = 10 * time.Second

// healthEnv overrides the interval (a Go duration such as "500ms"); the tests use it to see the exit quickly.
const healthEnv = "NDES_LANGHOST_HEALTHCHECK_INTERVAL"

func healthInterval() time.Duration {
	if v := os.Getenv(healthEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return defaultHealthInterval
}

// watchEngine calls stop once the engine at addr no longer answers its health service (an engine that does not
// implement the service counts as alive). No address, nothing to watch: a person started the host by hand.
func watchEngine(ctx context.Context, addr string, interval time.Duration, stop context.CancelFunc) error {
	if addr == "" {
		return nil
	}
	return rpcutil.Healthcheck(ctx, addr, interval, stop)
}

// stopChannel turns a context into the channel rpcutil.ServeOptions.Cancel wants: closed when ctx is done.
func stopChannel(ctx context.Context) chan bool {
	ch := make(chan bool)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}
