package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// The test cluster runs no controllers: these tests play the deployment
// and job controllers by writing the status subresource the way they do.

func deploymentNamed(name string) []byte {
	return []byte(strings.ReplaceAll(deployment, "name: web\n", "name: "+name+"\n"))
}

const failingJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example/migrate:1
`

// waitWithHealth turns spec.wait on, with timeout.
func waitWithHealth(timeout time.Duration) func(*v1alpha1.GitSync) {
	return func(gs *v1alpha1.GitSync) {
		gs.Spec.Wait = new(true)
		gs.Spec.Timeout = &metav1.Duration{Duration: timeout}
	}
}

// rollOut writes the status the deployment controller writes once every
// replica of the Deployment's current generation is available.
func (e *env) rollOut(name string) {
	e.t.Helper()
	var d appsv1.Deployment
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &d); err != nil {
		e.t.Fatal(err)
	}
	n := *d.Spec.Replicas
	now := metav1.Now()
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
	if err := kube.Client.Status().Update(e.ctx, &d); err != nil {
		e.t.Fatal(err)
	}
}

// TestReadyWaitsForARolloutThatBecomesAvailable: with spec.wait, the
// GitSync says Reconciling/Progressing, naming the Deployment, until the
// Deployment is available, and only then Ready.
func TestReadyWaitsForARolloutThatBecomesAvailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("web", map[string][]byte{"apps/web.yaml": deploymentNamed("web"), "apps/config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", time.Hour, waitWithHealth(time.Minute))

	e.eventually(30*time.Second, "Reconciling=True with reason Progressing", func() (bool, error) {
		gs := e.get("apps")
		c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonProgressing &&
			strings.Contains(c.Message, "Deployment.apps "+e.ns+"/web"), nil
	})
	if gs := e.get("apps"); meta.IsStatusConditionTrue(gs.Status.Conditions, v1alpha1.ConditionReady) {
		t.Fatalf("Ready=True before the Deployment rolled out: %+v", gs.Status.Conditions)
	}
	e.rollOut("web")
	gs := e.waitApplied("apps", sha)
	if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling); c != nil {
		t.Errorf("Reconciling still set after the sync: %+v", c)
	}
}

// TestARolloutThatNeverBecomesAvailableFailsTheHealthCheck: after
// spec.timeout the GitSync is Ready=False, HealthCheckFailed, naming the
// Deployment with kstatus's message; what was applied is in the inventory
// but not lastAppliedRevision.
func TestARolloutThatNeverBecomesAvailableFailsTheHealthCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("stuck", map[string][]byte{"apps/stuck.yaml": deploymentNamed("stuck")})
	start := time.Now()
	e.createGitSync("apps", time.Hour, waitWithHealth(5*time.Second))
	msg := e.waitFailed("apps", v1alpha1.ReasonHealthCheckFailed)
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("HealthCheckFailed after %s, before the 5s timeout", took)
	}
	want := fmt.Sprintf("Deployment.apps %s/stuck: InProgress: Replicas: 0/2", e.ns)
	if !strings.Contains(msg, want) || !strings.Contains(msg, "timeout") {
		t.Errorf("message %q does not name %q and the timeout", msg, want)
	}
	gs := e.get("apps")
	if gs.Status.LastAppliedRevision != "" || len(gs.Status.AppliedObjects) != 1 {
		t.Errorf("lastAppliedRevision %q, inventory %v: want none, and the Deployment", gs.Status.LastAppliedRevision, gs.Status.AppliedObjects)
	}
}

// TestAFailedJobFailsTheHealthCheckAtOnce: a Job the job controller marks
// Failed fails the sync without waiting for the timeout.
func TestAFailedJobFailsTheHealthCheckAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("job", map[string][]byte{"apps/job.yaml": []byte(failingJob)})
	e.createGitSync("apps", time.Hour, waitWithHealth(10*time.Minute))
	var job batchv1.Job
	e.eventually(30*time.Second, "the Job is applied", func() (bool, error) {
		return kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "migrate"}, &job) == nil, nil
	})
	now := metav1.Now()
	job.Status = batchv1.JobStatus{
		StartTime: &now, Failed: 1,
		Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastProbeTime: now, LastTransitionTime: now},
		},
	}
	if err := kube.Client.Status().Update(e.ctx, &job); err != nil {
		t.Fatal(err)
	}
	msg := e.waitFailed("apps", v1alpha1.ReasonHealthCheckFailed)
	if want := fmt.Sprintf("Job.batch %s/migrate: Failed: Job Failed", e.ns); !strings.Contains(msg, want) {
		t.Errorf("message %q does not name %q", msg, want)
	}
}
