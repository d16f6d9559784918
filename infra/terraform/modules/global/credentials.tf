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

# Signs every event a function emits; the checkers and the engine act only on
# events signed with it (the platform's pings aside), so nobody who can reach a
# broker's ingress can forge results or batches.
resource "random_password" "event_signing_key" {
  length  = 64
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

resource "kubernetes_secret_v1" "event_signing_key" {
  metadata {
    name      = module.names.secrets.event_signing_key
    namespace = local.namespace
  }

  data = {
    event_signing_key = random_password.event_signing_key.result
  }
}
