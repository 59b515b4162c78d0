package loadgen

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunCountsAndPercentiles(t *testing.T) {
	res := Run(context.Background(), 200*time.Millisecond, 4, func(ctx context.Context, w, i int) error {
		if i%10 == 9 {
			return errors.New("every tenth fails")
		}
		time.Sleep(time.Millisecond)
		return nil
	})
	if res.Requests == 0 || res.Errors == 0 || res.FirstErr == nil {
		t.Fatalf("%+v", res)
	}
	if res.P50 < time.Millisecond || res.P99 < res.P50 {
		t.Fatalf("percentiles: %+v", res)
	}
}
