#!/usr/bin/env bash
# Integrate with stockcast: get a token, push sales, book a delivery, read stock, start a forecast,
# pull reorder suggestions and approve them into purchase orders.
# Every step is a plain curl call; jq only picks fields out of the answers.
#
#   STOCKCAST_URL=https://stockcast.example.com STOCKCAST_USER=integration STOCKCAST_PASSWORD=... \
#   STOCKCAST_WAREHOUSE=CA_1 docs/api_examples.sh
#
# The user needs the planner role (Django group "planner") to write; a viewer can only read.
# tests/api/test_curl_examples.py runs this file against a live test server.
set -euo pipefail

BASE="${STOCKCAST_URL:-http://127.0.0.1:8000}"
WAREHOUSE="${STOCKCAST_WAREHOUSE:-CA_1}"
CURL=(curl --silent --show-error --fail-with-body)

# 1. Get your API token: exchange username and password once, then keep the token secret.
#    (An administrator can also create or revoke tokens in the admin: Auth Token > Tokens.)
TOKEN=$("${CURL[@]}" -X POST "$BASE/api/v1/auth/token/" \
  -H "Content-Type: application/json" \
  -d "{\"username\": \"$STOCKCAST_USER\", \"password\": \"$STOCKCAST_PASSWORD\"}" | jq -r .token)
AUTH="Authorization: Token $TOKEN"

# 2. Push daily sales: up to 10,000 rows per request, CSV or JSON. All or nothing, and resending
#    the same rows changes nothing, so a failed or doubtful request can simply be sent again.
"${CURL[@]}" -X POST "$BASE/api/v1/sales/bulk/" -H "$AUTH" -H "Content-Type: text/csv" --data-binary @- <<CSV | jq .
sku,warehouse,date,units,price,on_promotion
DEMO-001,$WAREHOUSE,2026-11-26,12,1.49,no
DEMO-001,$WAREHOUSE,2026-11-27,15,1.49,no
DEMO-002,$WAREHOUSE,2026-11-27,3,4.99,yes
CSV

#    The same as JSON:
"${CURL[@]}" -X POST "$BASE/api/v1/sales/bulk/" -H "$AUTH" -H "Content-Type: application/json" \
  -d "{\"rows\": [{\"sku\": \"DEMO-001\", \"warehouse\": \"$WAREHOUSE\", \"date\": \"2026-11-28\", \"units\": 9}]}" | jq .

#    A bad row refuses the whole request with 422 and lists every problem by row:
"${CURL[@]}" -X POST "$BASE/api/v1/sales/bulk/" -H "$AUTH" -H "Content-Type: application/json" \
  -d "{\"rows\": [{\"sku\": \"DEMO-001\", \"warehouse\": \"$WAREHOUSE\", \"date\": \"28/11/2026\", \"units\": 1}]}" \
  | jq '.error.fields.problems' || true

# 2b. Say who supplies the new products (reorder suggestions become purchase orders per supplier).
#     Created once; a second run finds it and only re-links the products.
if [ "$("${CURL[@]}" "$BASE/api/v1/suppliers/?search=ACME-GIFTS" -H "$AUTH" | jq .count)" = 0 ]; then
  "${CURL[@]}" -X POST "$BASE/api/v1/suppliers/" -H "$AUTH" -H "Content-Type: application/json" \
    -d '{"code": "ACME-GIFTS", "name": "Acme Gifts Ltd", "currency": "GBP", "lead_time_mean_days": 10, "lead_time_std_days": 2}' \
    | jq '{code, lead_time_mean_days}'
fi
for ID in $("${CURL[@]}" "$BASE/api/v1/products/?search=DEMO-" -H "$AUTH" | jq -r '.results[].id'); do
  "${CURL[@]}" -X PATCH "$BASE/api/v1/products/$ID/" -H "$AUTH" -H "Content-Type: application/json" \
    -d '{"supplier": "ACME-GIFTS"}' | jq '{sku, supplier}'
done

# 3. Book a delivery into stock. The Idempotency-Key makes a retry safe: the second call returns
#    the first movement (200, Idempotent-Replayed: true) and does not add the units again.
for attempt in 1 2; do
  "${CURL[@]}" -X POST "$BASE/api/v1/stock-movements/" -H "$AUTH" -H "Content-Type: application/json" \
    -H "Idempotency-Key: delivery-2026-11-29-0042" \
    -d "{\"product\": \"DEMO-001\", \"warehouse\": \"$WAREHOUSE\", \"kind\": \"receipt\", \"quantity\": 48}" \
    | jq '{id, quantity, balance_after}'
done

# 4. Read stock: on hand, reserved, available and on order, filtered by warehouse.
"${CURL[@]}" "$BASE/api/v1/stock-levels/?warehouse=$WAREHOUSE&page_size=100" -H "$AUTH" \
  | jq '.results[] | {sku, on_hand, available, on_order}'

# 5. Start a forecast run (202 Accepted) and poll it until it has finished.
RUN_URL=$("${CURL[@]}" -X POST "$BASE/api/v1/forecast-runs/" -H "$AUTH" -H "Content-Type: application/json" \
  -d '{"model": "seasonal_naive", "horizon": 14}' | jq -r .status_url)
for _ in $(seq 1 60); do
  STATUS=$("${CURL[@]}" "$RUN_URL" -H "$AUTH" | jq -r .status)
  [ "$STATUS" = succeeded ] || [ "$STATUS" = failed ] && break
  sleep 2
done
echo "forecast run: $STATUS"
"${CURL[@]}" "$BASE/api/v1/forecasts/?product=DEMO-001&warehouse=$WAREHOUSE" -H "$AUTH" \
  | jq '.results[] | {date, mean, p90: .quantiles.p90}'

# 6. Pull the pending reorder suggestions of the warehouse (each with its explanation) and approve
#    them in one call: they become draft purchase orders, one per supplier.
IDS=$("${CURL[@]}" "$BASE/api/v1/reorder-suggestions/?status=pending&warehouse=$WAREHOUSE" -H "$AUTH" \
  | jq -c '[.results[] | .id]')
echo "pending suggestions: $IDS"
if [ "$IDS" != "[]" ]; then
  "${CURL[@]}" -X POST "$BASE/api/v1/reorder-suggestions/approve/" -H "$AUTH" -H "Content-Type: application/json" \
    -d "{\"ids\": $IDS}" | jq '.purchase_orders[] | {number, supplier, status, lines: [.lines[] | {product, quantity_ordered}]}'
fi
