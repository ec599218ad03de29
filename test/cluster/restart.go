package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
)

// downState records which processes were stopped by StopAPIServer or
// StopEtcd and not started again.
type downState struct {
	mu        sync.Mutex
	apiserver bool
	etcd      bool
}

// StopAPIServer stops kube-apiserver (SIGTERM; it drains in-flight
// requests, telling new ones to retry) and leaves etcd running. Its
// certificates stay, for StartAPIServer.
func (c *Cluster) StopAPIServer() error {
	c.down.mu.Lock()
	defer c.down.mu.Unlock()
	if c.down.apiserver {
		return errors.New("cluster: kube-apiserver is already stopped")
	}
	c.down.apiserver = true
	if err := c.env.ControlPlane.APIServer.Stop(); err != nil {
		return fmt.Errorf("cluster: stopping kube-apiserver: %w", err)
	}
	return nil
}

// StartAPIServer starts the kube-apiserver StopAPIServer stopped, on the
// same address with the same serving certificate and client CA, so that
// Config, Client, Kubeconfig and clients built from them before the
// restart work again. It returns once the apiserver is healthy.
func (c *Cluster) StartAPIServer() error {
	c.down.mu.Lock()
	defer c.down.mu.Unlock()
	if !c.down.apiserver {
		// A second kube-apiserver would fail to bind while the health
		// check, answered by the first, reported it ready.
		return errors.New("cluster: kube-apiserver is running; StopAPIServer first")
	}
	if err := c.env.ControlPlane.APIServer.Start(); err != nil {
		return fmt.Errorf("cluster: starting kube-apiserver again: %w", err)
	}
	c.down.apiserver = false
	return nil
}

// StopEtcd stops etcd (SIGTERM) and leaves kube-apiserver running, so it
// answers requests with errors until StartEtcd. Its data stays.
func (c *Cluster) StopEtcd() error {
	c.down.mu.Lock()
	defer c.down.mu.Unlock()
	if c.down.etcd {
		return errors.New("cluster: etcd is already stopped")
	}
	c.down.etcd = true
	if err := c.env.ControlPlane.Etcd.Stop(); err != nil {
		return fmt.Errorf("cluster: stopping etcd: %w", err)
	}
	return nil
}

// StartEtcd starts the etcd StopEtcd stopped, on the same client address
// with the same data. It returns once etcd is healthy and, when
// kube-apiserver runs, once the apiserver is ready again (it reconnects
// to etcd on its own).
func (c *Cluster) StartEtcd() error {
	c.down.mu.Lock()
	defer c.down.mu.Unlock()
	if !c.down.etcd {
		return errors.New("cluster: etcd is running; StopEtcd first")
	}
	if err := c.env.ControlPlane.Etcd.Start(); err != nil {
		return fmt.Errorf("cluster: starting etcd again: %w", err)
	}
	c.down.etcd = false
	if c.down.apiserver {
		return nil
	}
	return c.waitReady(c.env.ControlPlaneStartTimeout)
}

// waitReady polls kube-apiserver's /readyz until it answers ok.
func (c *Cluster) waitReady(timeout time.Duration) error {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	var last error
	err = wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, last = dc.RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("cluster: kube-apiserver not ready %s after etcd started again (last answer: %v): %w", timeout, last, err)
	}
	return nil
}
