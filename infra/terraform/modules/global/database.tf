# Managed PostgreSQL (Trove). Only the conductor and the migration Job see its URL.
resource "random_password" "db" {
  length = 32
  # pg8000 URLs carry the password unescaped: letters and digits only.
  special = false
}

# A port of our own, so the database address is known to terraform (the
# instance resource does not export its addresses).
resource "openstack_networking_port_v2" "db" {
  region             = var.region
  name               = "${var.prefix}-db"
  network_id         = var.db_network_id
  admin_state_up     = true
  security_group_ids = length(var.db_security_group_ids) > 0 ? var.db_security_group_ids : null
}

resource "openstack_db_instance_v1" "kosmos" {
  region    = var.region
  name      = "${var.prefix}-db"
  flavor_id = var.db_flavor_id
  size      = var.db_volume_size

  datastore {
    type    = "postgresql"
    version = var.db_datastore_version
  }

  network {
    port = openstack_networking_port_v2.db.id
  }
}

resource "openstack_db_database_v1" "kosmos" {
  region      = var.region
  name        = var.db_name
  instance_id = openstack_db_instance_v1.kosmos.id
}

resource "openstack_db_user_v1" "conductor" {
  region      = var.region
  name        = var.db_user
  instance_id = openstack_db_instance_v1.kosmos.id
  password    = random_password.db.result
  databases   = [openstack_db_database_v1.kosmos.name]
}

locals {
  db_host      = openstack_networking_port_v2.db.all_fixed_ips[0]
  database_url = "postgresql+pg8000://${openstack_db_user_v1.conductor.name}:${random_password.db.result}@${local.db_host}:5432/${openstack_db_database_v1.kosmos.name}"
}

resource "kubernetes_secret_v1" "database" {
  metadata {
    name      = module.names.secrets.database
    namespace = local.namespace
  }

  data = {
    database_url = local.database_url
  }
}
