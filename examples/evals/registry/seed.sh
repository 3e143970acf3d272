#!/bin/sh
# Seeds a Promptline server with what promptline.eval.yaml refers to:
#   PROMPTLINE_URL=http://127.0.0.1:4100 PROMPTLINE_API_KEY=... sh seed.sh
set -eu
api() { curl -sS -f -H "authorization: Bearer $PROMPTLINE_API_KEY" -H 'content-type: application/json' "$@" >/dev/null; }
U=$PROMPTLINE_URL/api/v1
api -X POST "$U/prompts" -d '{"name":"qa/preamble","version":{"type":"text","template":"Answer in one word."}}'
api -X POST "$U/prompts" -d '{"name":"qa/capital","version":{"type":"text","template":"What is the capital of {{country}}?"}}'
api -X POST "$U/prompts/qa%2Fcapital/versions" -d '{"type":"text","template":"{{> qa/preamble}} What is the capital of {{country}}?"}'
api -X PUT "$U/prompts/qa%2Fcapital/deployments/production" -d '{"version":1}'
api -X POST "$U/datasets" -d '{"name":"capitals","items":[
  {"variables":{"country":"France"},"expected":{"type":"contains","value":"France"},"metadata":{"region":"eu"}},
  {"variables":{"country":"Japan"},"expected":[{"type":"icontains","value":"japan"},{"type":"not-contains","value":"Paris"}]}]}'
echo "seeded qa/capital (v1 in production, v2 latest), qa/preamble and the capitals dataset"
