#!/usr/bin/env bash
# Lints a synthesized output directory by hand: cfn-lint on every CloudFormation
# template, terraform init (offline, provider from /opt/tf-plugins) + validate on
# every Terraform directory. The test suite does the same in tests/validators.rs.
set -euo pipefail
out=${1:-out}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror { path = "/opt/tf-plugins" }
}
CFG
export TF_CLI_CONFIG_FILE="$tmp/cli.tfrc" TF_IN_AUTOMATION=1
shopt -s nullglob
for t in "$out"/cloudformation/*.template.json; do
  echo "cfn-lint $t"; cfn-lint "$t"
done
for d in "$out"/terraform/*/; do
  echo "terraform validate $d"
  cp -r "$d" "$tmp/mod"; (cd "$tmp/mod" && terraform init -backend=false -input=false >/dev/null && terraform validate -no-color); rm -rf "$tmp/mod"
done
