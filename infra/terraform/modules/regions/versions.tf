# Pure module: locals and outputs only, no providers, so `terraform test` runs offline.
terraform {
  required_version = ">= 1.9"
}
