/** The service catalog held in memory for query matching (14 services; reloaded after a reset). */
import type pg from 'pg';
import { catalogSeed } from '../catalog.js';

export interface CatalogService {
  id: string;
  name: string;
  slug: string;
  searchTerms: string[];
  subcategoryId: string;
  categoryId: string;
}

export interface CatalogCategory {
  id: string;
  name: string;
  slug: string;
  terms: string[];
  serviceIds: string[];
}

export interface CatalogIndex {
  services: CatalogService[];
  categories: CatalogCategory[];
  byId: Map<string, CatalogService>;
}

export async function loadCatalogIndex(pool: pg.Pool): Promise<CatalogIndex> {
  const { rows } = await pool.query<{
    id: string;
    name: string;
    slug: string;
    search_terms: string[];
    subcategory_id: string;
    category_id: string;
    category_name: string;
    category_slug: string;
  }>(
    `SELECT c.id, c.name, c.slug, c.search_terms, c.subcategory_id, sc.category_id, cat.name AS category_name, cat.slug AS category_slug
       FROM service_catalog c
       JOIN service_subcategories sc ON sc.id = c.subcategory_id
       JOIN service_categories cat ON cat.id = sc.category_id
      WHERE c.is_active
      ORDER BY cat.display_order, c.name`,
  );
  const services: CatalogService[] = [];
  const categories = new Map<string, CatalogCategory>();
  for (const row of rows) {
    services.push({
      id: row.id,
      name: row.name,
      slug: row.slug,
      searchTerms: row.search_terms,
      subcategoryId: row.subcategory_id,
      categoryId: row.category_id,
    });
    let category = categories.get(row.category_id);
    if (!category) {
      const seedTerms = catalogSeed.find((c) => c.slug === row.category_slug)?.searchTerms ?? [];
      category = {
        id: row.category_id,
        name: row.category_name,
        slug: row.category_slug,
        terms: [row.category_name.toLowerCase(), ...seedTerms],
        serviceIds: [],
      };
      categories.set(row.category_id, category);
    }
    category.serviceIds.push(row.id);
  }
  return { services, categories: [...categories.values()], byId: new Map(services.map((s) => [s.id, s])) };
}
