package awsapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync/atomic"
	"testing"
)

// Through the SDK: an EKS endpoint that throttles every other call lowers the rate state of
// exactly the (account, region, service) that was throttled; the SDK retries and the calls
// succeed.
func TestThrottleLowersOnlyItsAccountRegionService(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := eksServer(t, func(w http.ResponseWriter) bool {
		if n.Add(1)%2 == 1 {
			w.Header().Set("X-Amzn-Errortype", "ThrottlingException")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Rate exceeded"}`)
			return true
		}
		return false
	})
	ls := NewLimiters(0)
	c := testClients(t, srv.URL, Settings{Region: "eu-west-1"}, WithLimiter(ls, "444455556666"))
	for i := 0; i < 3; i++ {
		if err := describe(context.Background(), c); err != nil {
			t.Fatalf("call %d failed after retries: %v", i, err)
		}
	}
	if got := ls.For("444455556666", "eu-west-1", "EKS").Rate(); math.IsInf(got, 1) {
		t.Errorf("the throttled (account, region, service) is still uncapped")
	}
	for _, k := range [][3]string{{"444455556666", "eu-west-1", "IAM"}, {"444455556666", "us-west-2", "EKS"}, {"", "eu-west-1", "EKS"}} {
		if got := ls.For(k[0], k[1], k[2]).Rate(); !math.IsInf(got, 1) {
			t.Errorf("%v was capped at %v by another's throttling", k, got)
		}
	}
}
