/**
 * The base of the small typed Grafana constructs: `cdktn get` needs network and Terraform, so the
 * resources preflight uses are written by hand with the argument names of the grafana/grafana
 * provider (~> 4.0) docs, snake_case as Terraform JSON wants them.
 */
import { TerraformDataSource, TerraformProvider, TerraformResource } from 'cdktn';
import type { Construct } from 'constructs';

export const grafanaProviderSource = 'grafana/grafana';
export const grafanaProviderVersion = '~> 4.0';

const generatorMetadata = { providerName: 'grafana', providerVersionConstraint: grafanaProviderVersion };

/** Drops undefined values so the synthesized JSON only names the arguments that are set. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => compact(v)) as T;
  if (value && typeof value === 'object' && value.constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compact(v);
    return out as T;
  }
  return value;
}

/** A grafana_* resource whose arguments are the typed object given. */
export abstract class GrafanaResource<Args extends object> extends TerraformResource {
  readonly args: Args;

  constructor(scope: Construct, id: string, resourceType: string, args: Args) {
    super(scope, id, { terraformResourceType: resourceType, terraformGeneratorMetadata: generatorMetadata });
    this.args = args;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return compact({ ...this.args }) as Record<string, unknown>;
  }
}

/** A grafana_* data source. */
export abstract class GrafanaDataSource<Args extends object> extends TerraformDataSource {
  readonly args: Args;

  constructor(scope: Construct, id: string, dataType: string, args: Args) {
    super(scope, id, { terraformResourceType: dataType, terraformGeneratorMetadata: generatorMetadata });
    this.args = args;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return compact({ ...this.args }) as Record<string, unknown>;
  }
}

/** Arguments of the `grafana` provider block. */
export interface GrafanaProviderArgs {
  /** The Grafana root URL (or GRAFANA_URL). */
  url?: string;
  /** API token, service account token or basic auth `user:password` (sensitive; or GRAFANA_AUTH). */
  auth?: string;
  /** Synthetic Monitoring API URL. */
  sm_url?: string;
  /** Synthetic Monitoring access token (sensitive). */
  sm_access_token?: string;
}

export class GrafanaProvider extends TerraformProvider {
  readonly args: GrafanaProviderArgs;

  constructor(scope: Construct, id: string, args: GrafanaProviderArgs) {
    super(scope, id, {
      terraformResourceType: 'grafana',
      terraformGeneratorMetadata: generatorMetadata,
      terraformProviderSource: grafanaProviderSource,
    });
    this.args = args;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return compact({ ...this.args }) as Record<string, unknown>;
  }
}
