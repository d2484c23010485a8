/**
 * Start-up (and admin edit) validation of the policy tables, so that a bad row is a
 * configuration error found before any login, naming the row.
 */
import { ConfigError } from '../errors.js';
import { isQorSteps, type PolicyCatalogue } from './model.js';

const TABLE = {
  qor: 'servicecorelogin_quality_of_registration',
  lot: 'servicecorelogin_level_of_trust',
  qoa: 'servicecorelogin_quality_of_authentication',
} as const;

function rowName(table: keyof typeof TABLE, row: { id: number; systemName: string }): string {
  return `${TABLE[table]} id ${row.id} (${row.systemName})`;
}

/** Every problem of the catalogue, one message per problem, each naming its row. */
export function catalogueIssues(catalogue: PolicyCatalogue): string[] {
  const issues: string[] = [];
  const strengthIds = new Set(catalogue.strengths.map((s) => s.id));
  const qoaIds = new Set(catalogue.qoas.map((q) => q.id));

  const owners = new Map<string, string>();
  const claim = (table: keyof typeof TABLE, row: { id: number; systemName: string }) => {
    const name = rowName(table, row);
    const owner = owners.get(row.systemName);
    if (owner) issues.push(`${name}: system_name is already used by ${owner}`);
    else owners.set(row.systemName, name);
  };

  for (const qor of catalogue.qors) {
    claim('qor', qor);
    if (!isQorSteps(qor.steps)) {
      issues.push(`${rowName('qor', qor)}: steps ${String(qor.steps)} is not a QualityOfRegistrationSteps value (0..5)`);
    }
    if (!strengthIds.has(qor.strengthId)) {
      issues.push(`${rowName('qor', qor)}: quality_of_registration_strength_id ${qor.strengthId} does not exist`);
    }
  }
  for (const lot of catalogue.lots) {
    claim('lot', lot);
    if (!qoaIds.has(lot.qoaId)) issues.push(`${rowName('lot', lot)}: quality_of_authentication_id ${lot.qoaId} does not exist`);
    if (!strengthIds.has(lot.qorStrengthId)) {
      issues.push(`${rowName('lot', lot)}: quality_of_registration_strength_id ${lot.qorStrengthId} does not exist`);
    }
  }
  for (const qoa of catalogue.qoas) claim('qoa', qoa);
  return issues;
}

/** Throws one ConfigError listing every problem of the catalogue. Dummy rows are valid. */
export function validateCatalogue(catalogue: PolicyCatalogue): void {
  const issues = catalogueIssues(catalogue);
  if (issues.length > 0) throw new ConfigError(`Invalid policy tables: ${issues.join('; ')}`);
}
