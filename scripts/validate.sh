#!/usr/bin/env bash
# The real AWS toolchain's verdict on template.yaml: `sam validate --lint`, `sam build` (timed) and
# cfn-lint on the built template. Fails on any finding. Needs the AWS SAM CLI and cfn-lint on PATH,
# after the project's node_modules/.bin (Node 22 and esbuild), which `npm run validate` puts first.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
command -v sam >/dev/null 2>&1 || missing="$missing sam"
command -v cfn-lint >/dev/null 2>&1 || missing="$missing cfn-lint"
if [ -n "$missing" ]; then
  echo "validate: not on PATH:$missing (install the AWS SAM CLI and cfn-lint, e.g. pip install aws-sam-cli cfn-lint)" >&2
  exit 1
fi
export SAM_CLI_TELEMETRY=0

echo "== sam validate --lint --region eu-west-2"
sam validate --lint --region eu-west-2

echo "== sam build"
TIMEFORMAT='sam build took %R s'
time sam build

echo "== cfn-lint .aws-sam/build/template.yaml"
cfn-lint .aws-sam/build/template.yaml
echo "cfn-lint: no findings"
