terraform {
  required_version = ">= 1.9"

  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = ">= 2.1, < 4"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.31, < 3"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4"
    }
  }
}

# Credentials come from clouds.yaml (entry var.openstack_cloud); every
# OpenStack resource names its region itself.
provider "openstack" {
  cloud = var.openstack_cloud
}

# The cluster of the first region hosts the global part and that region's checker.
provider "kubernetes" {
  alias          = "region_one"
  config_path    = var.kubeconfig
  config_context = var.kube_contexts[0]
}

# The second region's checker runs in that region's own cluster, so its probes
# come from there.
provider "kubernetes" {
  alias          = "region_two"
  config_path    = var.kubeconfig
  config_context = var.kube_contexts[1]
}
