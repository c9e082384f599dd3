#include "api/openapi.h"

namespace pinwatch::api {
namespace {

// The shapes are the CLI's --json shapes (README: Findings, Pin-sets); they are described
// here as far as clients need them, with additionalProperties left open: fields are added,
// never renamed or dropped.
constexpr char kOpenApi[] = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "pinwatch operator API",
    "version": "1",
    "description": "Findings, pin-set proposals and their approval, pin-sets and their exports, the logs' status and the audit log. Every request needs Authorization: Bearer TOKEN (pinwatch operator add); viewers read, approvers also write. Errors are {\"error\": {\"code\", \"message\"}}."
  },
  "servers": [{"url": "/api/v1"}],
  "security": [{"operatorToken": []}],
  "components": {
    "securitySchemes": {
      "operatorToken": {"type": "http", "scheme": "bearer", "description": "A token from `pinwatch operator add`; only its SHA-256 is stored."}
    },
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64", "minimum": 1}},
      "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$"}}
    },
    "schemas": {
      "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
      },
      "Note": {"type": "object", "additionalProperties": false, "properties": {"note": {"type": "string", "maxLength": 4096}}},
      "Reason": {"type": "object", "additionalProperties": false, "required": ["reason"],
                 "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 4096}}},
      "Entry": {"type": "object", "properties": {
        "log_id": {"type": "string"}, "log": {"type": "string"}, "index": {"type": "integer"},
        "entry_type": {"type": "string", "enum": ["x509", "precert"]}, "timestamp": {"type": "string", "format": "date-time"},
        "verified": {"type": "boolean"}}},
      "Finding": {"type": "object", "required": ["id", "kind", "severity", "status"], "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["unexpected_issuer", "unexpected_key", "known_key", "malformed", "log_misbehaviour", "stale_pinset", "unexpected_issuer_served", "interception"]},
        "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
        "status": {"type": "string", "enum": ["open", "acknowledged", "resolved"]},
        "status_note": {"type": "string", "nullable": true}, "reason": {"type": "string"},
        "watched": {"type": "string", "nullable": true}, "names": {"type": "array", "items": {"type": "string"}},
        "spki_sha256": {"type": "string", "nullable": true}, "issuer_spki_sha256": {"type": "string", "nullable": true},
        "not_before": {"type": "string", "nullable": true}, "not_after": {"type": "string", "nullable": true},
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}},
      "Check": {"type": "object", "properties": {"name": {"type": "string"}, "ok": {"type": "boolean"}, "detail": {"type": "string"}}},
      "Proposal": {"type": "object", "required": ["id", "pinset", "action", "pin", "status"], "properties": {
        "id": {"type": "integer"}, "pinset": {"type": "string"}, "action": {"type": "string", "enum": ["add", "remove"]},
        "pin": {"type": "string", "pattern": "^sha256/"}, "role": {"type": "string", "enum": ["leaf", "ca"]},
        "reason": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected", "applied", "superseded"]},
        "approvals": {"type": "integer"}, "approvals_required": {"type": "integer"},
        "decisions": {"type": "array", "items": {"type": "object"}},
        "checks": {"type": "array", "items": {"$ref": "#/components/schemas/Check"}}, "checks_pass": {"type": "boolean"},
        "lead_time_s": {"type": "integer", "nullable": true},
        "urgent": {"type": "boolean", "description": "pin-failure reports show apps failing for want of this pin"},
        "urgent_at": {"type": "string", "nullable": true}, "pin_reports": {"type": "array", "items": {"type": "integer"}},
        "evidence": {"type": "array", "items": {"type": "object"}}}},
      "Pinset": {"type": "object", "properties": {
        "name": {"type": "string"}, "current_version": {"type": "integer", "nullable": true},
        "versions": {"type": "array", "items": {"type": "object", "properties": {
          "version": {"type": "integer"}, "pins": {"type": "array", "items": {"type": "string"}},
          "origin": {"type": "string"}, "created_at": {"type": "string"}, "published_at": {"type": "string", "nullable": true}}}}}},
      "LogStatus": {"type": "object"},
      "AuditEntry": {"type": "object", "properties": {
        "id": {"type": "integer"}, "at": {"type": "string"}, "operator": {"type": "string"}, "action": {"type": "string"},
        "pinset": {"type": "string", "nullable": true}, "proposal_id": {"type": "integer", "nullable": true},
        "version": {"type": "integer", "nullable": true}, "reason": {"type": "string"}, "detail": {"type": "object"}}}
    },
    "responses": {
      "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  },
  "paths": {
    "/findings": {"get": {"summary": "Findings, oldest first", "parameters": [
        {"name": "status", "in": "query", "schema": {"type": "string"}, "description": "open, acknowledged, resolved (comma-separated)"},
        {"name": "kind", "in": "query", "schema": {"type": "string"}, "description": "finding kinds (comma-separated)"},
        {"name": "severity", "in": "query", "schema": {"type": "string", "enum": ["info", "warning", "critical"]}, "description": "the minimum"},
        {"name": "watched", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
        {"name": "cursor", "in": "query", "schema": {"type": "integer"}, "description": "the X-Next-Cursor header of the previous page"}],
      "responses": {"200": {"description": "Findings", "headers": {"X-Next-Cursor": {"schema": {"type": "integer"}}},
                            "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}},
    "/findings/{id}": {"get": {"summary": "One finding", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "The finding", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finding"}}}},
                    "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/findings/{id}/ack": {"post": {"summary": "Acknowledge (ends its alert); approvers", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}},
      "responses": {"200": {"description": "The finding", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finding"}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                    "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/findings/{id}/resolve": {"post": {"summary": "Resolve (ends its alert); approvers", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}},
      "responses": {"200": {"description": "The finding", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finding"}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/findings/{id}/reopen": {"post": {"summary": "Open again (alerts again); approvers", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}},
      "responses": {"200": {"description": "The finding", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finding"}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/proposals": {"get": {"summary": "Pin-set proposals with their checks (computed now for pending ones)", "parameters": [
        {"name": "status", "in": "query", "schema": {"type": "string"}, "description": "pending, approved, rejected, applied, superseded (comma-separated)"},
        {"name": "pinset", "in": "query", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "Proposals", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}}}},
    "/proposals/{id}": {"get": {"summary": "One proposal with evidence and checks", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "The proposal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Proposal"}}}},
                    "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/proposals/{id}/approve": {"post": {"summary": "One approval; the one reaching approvals_required makes the next version; approvers",
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
      "responses": {"200": {"description": "The proposal after the decision", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Proposal"}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                    "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                    "415": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"},
                    "429": {"$ref": "#/components/responses/Error"}}}},
    "/proposals/{id}/reject": {"post": {"summary": "Reject (ends the proposal); approvers", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}},
      "responses": {"200": {"description": "The proposal after the decision", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Proposal"}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                    "409": {"$ref": "#/components/responses/Error"}}}},
    "/pinsets": {"get": {"summary": "Every configured pin-set with its versions",
      "responses": {"200": {"description": "Pin-sets", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pinset"}}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}},
    "/pinsets/{name}": {"get": {"summary": "One pin-set: current version and history", "parameters": [{"$ref": "#/components/parameters/name"}],
      "responses": {"200": {"description": "The pin-set", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pinset"}}}},
                    "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/pinsets/{name}/export": {"get": {"summary": "The current version in a format apps use", "parameters": [{"$ref": "#/components/parameters/name"},
        {"name": "format", "in": "query", "required": true, "schema": {"type": "string", "enum": ["json", "android-nsc", "okhttp", "trustkit", "ios-ats", "approov"]}}],
      "responses": {"200": {"description": "The export (a download)", "content": {"text/plain": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"}}}},
    "/logs": {"get": {"summary": "Per followed log: position, verified tree size, tree size, lag, lease, last error (status --json)",
      "responses": {"200": {"description": "Logs", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/LogStatus"}}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}},
    "/audit": {"get": {"summary": "Every pin-set decision, oldest first (the last `limit`)", "parameters": [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000}}],
      "responses": {"200": {"description": "Audit entries", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}}
  }
}
)json";

}  // namespace

std::string_view OpenApiJson() { return kOpenApi; }

}  // namespace pinwatch::api
