// Command storage-provisioner is the test cluster's dynamic volume provisioner: for each
// PersistentVolumeClaim of its StorageClass it makes a folder under a host directory and a
// local PersistentVolume for it on the node, and removes the folder when the volume is released.
//
// It is what Minikube's storage-provisioner does, on the same SIG Storage library, for a
// single-node cluster: claims bind through the real PV controller, the real external
// provisioner protocol and a default StorageClass, exactly as on Minikube.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

// localVolumeProvisioner creates each volume as a folder below root on the node it runs on.
type localVolumeProvisioner struct {
	root     string
	node     string
	identity string
}

// Provision makes the claim's folder and returns a PersistentVolume that points at it.
func (p *localVolumeProvisioner) Provision(_ context.Context, options controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	path := filepath.Join(p.root, options.PVName)
	// Root's alone until a pod mounts it: a local volume (unlike hostPath) is handed to the
	// pod's fsGroup by the kubelet, so no folder needs to be world-writable as Minikube's are.
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, controller.ProvisioningFinished, fmt.Errorf("create %s: %w", path, err)
	}
	volume := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        options.PVName,
			Annotations: map[string]string{"todo-chatbot.dev/provisioned-by": p.identity},
		},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: *options.StorageClass.ReclaimPolicy,
			AccessModes:                   options.PVC.Spec.AccessModes,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: options.PVC.Spec.Resources.Requests[v1.ResourceStorage]},
			PersistentVolumeSource: v1.PersistentVolumeSource{
				Local: &v1.LocalVolumeSource{Path: path},
			},
			// A local volume names its node; the scheduler places the claim's pods there.
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{
				NodeSelectorTerms: []v1.NodeSelectorTerm{{MatchExpressions: []v1.NodeSelectorRequirement{{
					Key: v1.LabelHostname, Operator: v1.NodeSelectorOpIn, Values: []string{p.node},
				}}}},
			}},
		},
	}
	return volume, controller.ProvisioningFinished, nil
}

// Delete removes the folder of a released volume that this provisioner made.
func (p *localVolumeProvisioner) Delete(_ context.Context, volume *v1.PersistentVolume) error {
	if volume.Annotations["todo-chatbot.dev/provisioned-by"] != p.identity {
		return &controller.IgnoredError{Reason: "not provisioned by this provisioner"}
	}
	if volume.Spec.Local == nil {
		return errors.New("volume is not a local volume")
	}
	return os.RemoveAll(volume.Spec.Local.Path)
}

func main() {
	name := flag.String("name", "todo-chatbot.dev/hostpath", "provisioner name the StorageClass refers to")
	root := flag.String("root", "/var/lib/todo-cluster/volumes", "host directory that holds the volumes")
	node := flag.String("node", "", "name of the node the provisioner runs on (the volumes' node)")
	klog.InitFlags(nil)
	flag.Parse()
	if *node == "" {
		klog.Fatal("--node is required")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	config, err := rest.InClusterConfig()
	if err != nil {
		klog.Fatalf("in-cluster config: %v", err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Fatalf("client: %v", err)
	}
	provisioner := &localVolumeProvisioner{root: *root, node: *node, identity: *name}
	controller.NewProvisionController(ctx, client, *name, provisioner).Run(ctx)
}
