// Package bench holds benchmarks that span processes: the built seal-agent
// syncing a 1,001-object repository from a real git server into a real
// kube-apiserver, measured beside a bare in-process parallel apply of the
// same objects in the same run; and 1,000 simulated agents polling one git
// server run as a process of its own, whose CPU time is measured. Run them
// with `make bench`.
package bench_test
