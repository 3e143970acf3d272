/**
 * OTLP's protobuf messages for traces, decoded and encoded by protobufjs from their schema.
 *
 * Why protobufjs with the schema rather than the OpenTelemetry JS packages: since 0.200,
 * `@opentelemetry/otlp-transformer` ships only hand-written serialisers for the exporter side (and a
 * decoder for the small export *response*); it cannot decode an ExportTraceServiceRequest.
 * protobufjs is the maintained protobuf runtime for JavaScript (the one OpenTelemetry JS used for
 * years), and builds its decoders from the schema below.
 *
 * The schema is the subset of opentelemetry-proto v1 (collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto) that a receiver reads,
 * with the official field numbers and types. Fields left out are skipped as unknown fields, which
 * is what protobuf does by design for forward compatibility. It is kept as text in a module so it
 * is part of the build (tsc copies no .proto files). google.rpc.Status is the error body OTLP/HTTP
 * asks for.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans {
  Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}
message ScopeSpans {
  InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  repeated Event events = 11;
  Status status = 15;
}
message Status {
  string message = 2;
  int32 code = 3;
}
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
message RpcStatus {
  int32 code = 1;
  string message = 2;
}
`;

const root = protobuf.parse(SCHEMA).root;

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
/** google.rpc.Status (same field numbers): the body of an OTLP/HTTP error answer. */
export const RpcStatus = root.lookupType('opentelemetry.proto.RpcStatus');
