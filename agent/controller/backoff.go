package controller

import (
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// failureBackoff paces the retries of a reconcile that returned an error
// (its status could not be written: the apiserver is down): exponential
// from 100 ms up to retryInterval, where client-go's default goes up to
// 1,000 s, so the first sync after a long outage comes within a minute;
// with client-go's overall bucket of 10 a second.
func failureBackoff() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](100*time.Millisecond, retryInterval),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}
