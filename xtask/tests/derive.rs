//! `cargo xtask upstream-derive`: the vendored 2024 documents are what the pinned SDK gives, and
//! the derivation maps the SDK's generated shapes and names what it cannot map.
//!
//! Needs node and npm: the pinned TypeScript compiler and SDK are installed under
//! `target/tmp/upstream-derive` on first use (as the conformance tests fetch the official SDKs).

use std::path::Path;

use serde_json::{Value, json};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn the_vendored_2024_documents_are_what_the_pinned_sdk_gives() {
    let stale = xtask::derive::run(true).expect("the derivation runs");
    assert!(
        stale.is_empty(),
        "openapi/upstream/2024/ is stale; run `cargo xtask upstream-derive`:\n{}",
        stale.join("\n")
    );
    // And it is the surface the issue counts: most of the 2024 SDK's operations.
    let management: Value = serde_json::from_str(
        &std::fs::read_to_string(xtask::derive::out_dir().join(xtask::derive::DOCUMENTS[1]))
            .expect("read"),
    )
    .expect("json");
    let operations: usize = management["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert!(operations > 450, "{operations}");
}

/// A small SDK of every shape: the derivation maps the generated ones and reports the rest.
#[test]
fn the_derivation_maps_the_generated_shapes_and_names_what_it_cannot() {
    let installed = xtask::derive::install().expect("npm installs the pinned packages");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("derive-fixture");
    let _ = std::fs::remove_dir_all(&dir);
    let modules = dir.join("node_modules");
    std::fs::create_dir_all(&modules).expect("mkdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(installed.join("typescript"), modules.join("typescript"))
        .expect("link typescript");
    let sdk = modules.join("authing-node-sdk");
    write(
        &sdk.join("package.json"),
        r#"{"name": "authing-node-sdk", "version": "0.0.1"}"#,
    );
    write(
        &sdk.join("src/ManagementClient.ts"),
        r#"
import type { UserDto } from "./models/UserDto";
export class ManagementClient {
  /** @summary a generated GET */
  public async getUser({
    userId,
    withPost = false,
    status,
  }: {
    /** prose */
    userId: string;
    withPost?: boolean;
    status?: "Activated" | "Suspended";
  }): Promise<UserDto> {
    return await this.httpClient.request({
      method: "GET",
      url: "/api/v3/get-user",
      params: { userId: userId, withPost: withPost, status: status },
    });
  }
  public async createUser(requestBody: UserDto): Promise<UserDto> {
    return await this.httpClient.request({
      method: "POST",
      url: "/api/v3/create-user",
      data: requestBody,
    });
  }
  public async deleteItem(itemID: number): Promise<UserDto> {
    return await this.httpClient.request({
      method: "DELETE",
      url: "/api/v3/items/{itemId}/{other}",
    });
  }
  public async handWritten(x: string) {
    const api = `/api/v3/${x}`;
    return await this.httpClient.request({ method: "GET", url: api });
  }
  private helper() {
    return 1;
  }
}
"#,
    );
    write(
        &sdk.join("src/AuthenticationClient.ts"),
        r#"
import type { UserDto } from "./models/UserDto";
export class AuthenticationClient {
  public async getProfile({ withCustomData }: { withCustomData?: boolean }): Promise<UserDto> {
    const result = await this.httpClient.request({
      method: "GET",
      url: "/api/v3/get-profile",
      params: { withCustomData: withCustomData },
    });
    return result;
  }
}
"#,
    );
    write(
        &sdk.join("src/models/UserDto.ts"),
        r#"
import type { IdentityDto } from './IdentityDto';
export type UserDto = {
    /** prose is dropped */
    userId: string;
    gender?: UserDto.gender;
    identities?: Array<IdentityDto>;
    phone?: string | null;
    odd?: IdentityDto & { extra: string };
    either?: (IdentityDto | string);
    status?: UserDto.status;
};
export namespace UserDto {
    export enum gender {
        M = 'M',
        F = 'F',
    }
    export enum status {
        PASS = 'pass',
        '_-1' = -1,
    }
}
"#,
    );
    write(
        &sdk.join("src/models/IdentityDto.ts"),
        "export type IdentityDto = { provider: string; tags: string[] };\n",
    );
    write(
        &sdk.join("src/models/Unused.ts"),
        "export type Unused = { a?: number };\n",
    );
    let derived = xtask::derive::derive(&modules).expect("derives");
    assert_eq!(derived.source, "authing-node-sdk@0.0.1");

    let get = &derived.management["paths"]["/api/v3/get-user"]["get"];
    assert_eq!(get["operationId"], "getUser");
    assert_eq!(
        get["parameters"],
        json!([
            {"in": "query", "name": "userId", "required": true, "schema": {"type": "string"}},
            {"in": "query", "name": "withPost", "required": false,
             "schema": {"type": "boolean", "default": false}},
            {"in": "query", "name": "status", "required": false,
             "schema": {"enum": ["Activated", "Suspended"], "type": "string"}},
        ])
    );
    assert_eq!(
        get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/UserDto"
    );
    let post = &derived.management["paths"]["/api/v3/create-user"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/UserDto"
    );
    // Path parameters: from the template, typed by the method's parameter of that name (without
    // case), a string (reported) where there is none.
    assert_eq!(
        derived.management["paths"]["/api/v3/items/{itemId}/{other}"]["delete"]["parameters"],
        json!([
            {"in": "path", "name": "itemId", "required": true, "schema": {"type": "number"}},
            {"in": "path", "name": "other", "required": true, "schema": {"type": "string"}},
        ])
    );
    let user = &derived.management["components"]["schemas"]["UserDto"];
    assert_eq!(user["required"], json!(["userId"]));
    assert_eq!(
        user["properties"]["gender"],
        json!({"enum": ["M", "F"], "type": "string"})
    );
    assert_eq!(
        user["properties"]["identities"]["items"]["$ref"],
        "#/components/schemas/IdentityDto"
    );
    assert_eq!(
        user["properties"]["phone"],
        json!({"type": "string", "nullable": true})
    );
    // A union of types is inclusive (anyOf); an enum of strings and numbers one of each kind.
    assert_eq!(
        user["properties"]["either"],
        json!({"anyOf": [{"$ref": "#/components/schemas/IdentityDto"}, {"type": "string"}]})
    );
    assert_eq!(
        user["properties"]["status"],
        json!({"oneOf": [
            {"enum": [-1], "type": "number"},
            {"enum": ["pass"], "type": "string"}
        ]})
    );
    let identity = &derived.management["components"]["schemas"]["IdentityDto"];
    assert_eq!(
        identity["properties"]["tags"],
        json!({"items": {"type": "string"}, "type": "array"})
    );
    // The authentication client's shape (`const result = ...; return result;`).
    assert_eq!(
        derived.authentication["paths"]["/api/v3/get-profile"]["get"]["operationId"],
        "getProfile"
    );
    // What it cannot map is named: the hand-written method, the intersection, the unused model;
    // a method that never calls the service is not an operation and not reported.
    let unmapped = derived.unmapped.join("\n");
    assert!(
        unmapped.contains(
            "ManagementClient.handWritten: calls the service, but not in a generated shape"
        ),
        "{unmapped}"
    );
    assert!(
        unmapped.contains(
            "ManagementClient.deleteItem: path parameter other is not a parameter: typed string"
        ),
        "{unmapped}"
    );
    assert!(
        unmapped.contains("models/UserDto.ts.odd: type IntersectionType"),
        "{unmapped}"
    );
    assert!(
        unmapped.contains("Unused is used by no operation"),
        "{unmapped}"
    );
    assert!(!unmapped.contains("helper"), "{unmapped}");
    assert_eq!(derived.unmapped.len(), 4, "{unmapped}");
}
