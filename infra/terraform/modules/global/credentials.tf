# The functions authenticate to OpenStack with an application credential of
# the deploying project, delivered as clouds.yaml; the conductor with a token.
resource "openstack_identity_application_credential_v3" "functions" {
  region       = var.region
  name         = "${var.prefix}-functions"
  description  = "Kosmos functions (Designate records, Octavia status, Keystone token validation)"
  roles        = var.app_credential_roles
  expires_at   = var.app_credential_expires_at
  unrestricted = false
}

resource "random_password" "conductor_token" {
  length  = 48
  special = false
}

locals {
  clouds_yaml = yamlencode({
    clouds = {
      (local.cloud_name) = {
        auth_type            = "v3applicationcredential"
        identity_api_version = 3
        interface            = "public"
        region_name          = var.region
        regions              = distinct(concat([var.region], var.regions))
        auth = {
          auth_url                      = var.keystone_auth_url
          application_credential_id     = openstack_identity_application_credential_v3.functions.id
          application_credential_secret = openstack_identity_application_credential_v3.functions.secret
        }
      }
    }
  })
}

resource "kubernetes_secret_v1" "clouds" {
  metadata {
    name      = module.names.secrets.clouds
    namespace = local.namespace
  }

  data = {
    "clouds.yaml" = local.clouds_yaml
  }
}

resource "kubernetes_secret_v1" "conductor_token" {
  metadata {
    name      = module.names.secrets.conductor_token
    namespace = local.namespace
  }

  data = {
    conductor_token = random_password.conductor_token.result
  }
}
