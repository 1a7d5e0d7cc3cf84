/** The twin's schema, modelled on the platform's tables (platform.md): users, catalog, services, pricing, availability, bookings. */
import type { Weaknesses } from './weaknesses.js';

export const DATABASE_NAME = 'instainstru';
export const TEMPLATE_DATABASE_NAME = 'instainstru_seed';
export const APP_ROLE = 'instainstru_app';
export const READONLY_ROLE = 'instainstru_readonly';

/** Statuses the hardened exclusion constraint covers (the platform leaves PENDING out; the twin includes it). */
export const ACTIVE_BOOKING_STATUSES = ['PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW'] as const;

export function getSchemaSql(): string {
  return `
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
  id char(26) PRIMARY KEY,
  email text NOT NULL UNIQUE,
  hashed_password text NOT NULL,
  role text NOT NULL CHECK (role IN ('student', 'instructor', 'admin')),
  first_name text NOT NULL,
  last_name text NOT NULL,
  phone text,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_categories (
  id char(26) PRIMARY KEY,
  name text NOT NULL UNIQUE,
  slug text NOT NULL UNIQUE,
  display_order int NOT NULL
);

CREATE TABLE service_subcategories (
  id char(26) PRIMARY KEY,
  category_id char(26) NOT NULL REFERENCES service_categories(id),
  name text NOT NULL,
  slug text NOT NULL UNIQUE
);

CREATE TABLE service_catalog (
  id char(26) PRIMARY KEY,
  subcategory_id char(26) NOT NULL REFERENCES service_subcategories(id),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  search_terms text[] NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true
);

CREATE TABLE instructor_profiles (
  id char(26) PRIMARY KEY,
  user_id char(26) NOT NULL UNIQUE REFERENCES users(id),
  bio text NOT NULL DEFAULT '',
  years_experience int NOT NULL DEFAULT 0,
  region text NOT NULL,
  rating_average numeric(3, 2) NOT NULL DEFAULT 0,
  rating_count int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instructor_services (
  id char(26) PRIMARY KEY,
  instructor_id char(26) NOT NULL REFERENCES users(id),
  service_catalog_id char(26) NOT NULL REFERENCES service_catalog(id),
  duration_options int[] NOT NULL DEFAULT '{60}',
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instructor_id, service_catalog_id)
);
CREATE INDEX instructor_services_catalog_idx ON instructor_services (service_catalog_id) WHERE is_active;

CREATE TABLE service_format_pricing (
  id char(26) PRIMARY KEY,
  instructor_service_id char(26) NOT NULL REFERENCES instructor_services(id) ON DELETE CASCADE,
  format text NOT NULL CHECK (format IN ('student_location', 'instructor_location', 'online')),
  hourly_rate numeric(10, 2) NOT NULL CHECK (hourly_rate > 0 AND hourly_rate <= 1000),
  UNIQUE (instructor_service_id, format)
);

CREATE TABLE availability_slots (
  id char(26) PRIMARY KEY,
  instructor_id char(26) NOT NULL REFERENCES users(id),
  specific_date date NOT NULL,
  start_time time NOT NULL,
  end_time time NOT NULL,
  CHECK (end_time > start_time)
);
CREATE INDEX availability_slots_instructor_date_idx ON availability_slots (instructor_id, specific_date);

CREATE TABLE bookings (
  id char(26) PRIMARY KEY,
  student_id char(26) NOT NULL REFERENCES users(id),
  instructor_id char(26) NOT NULL REFERENCES users(id),
  instructor_service_id char(26) NOT NULL REFERENCES instructor_services(id),
  booking_date date NOT NULL,
  start_time time NOT NULL,
  end_time time NOT NULL,
  booking_span tsrange GENERATED ALWAYS AS (tsrange(booking_date + start_time, booking_date + end_time, '[)')) STORED,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')),
  hourly_rate numeric(10, 2) NOT NULL,
  total_price numeric(10, 2) NOT NULL,
  duration_minutes int NOT NULL,
  location_type text NOT NULL,
  student_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  CHECK (end_time > start_time)
);
`;
}

/** Indexes and the exclusion constraint, built after the bulk load (one index build instead of 20,000 inserts into it). */
export function getPostSeedSql(weak: Weaknesses): string {
  const exclusion = weak.has('double-booking')
    ? ''
    : `ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (instructor_id WITH =, booking_span WITH &&)
  WHERE (status IN (${ACTIVE_BOOKING_STATUSES.map((s) => `'${s}'`).join(', ')}));`;
  return `
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));
CREATE INDEX bookings_student_idx ON bookings (student_id, booking_date);
CREATE INDEX bookings_instructor_date_idx ON bookings (instructor_id, booking_date);
${exclusion}
ANALYZE users, service_catalog, instructor_profiles, instructor_services, service_format_pricing, availability_slots, bookings;
`;
}

/** Roles and grants: the API connects as the app role; the read-only role may read everything and write nothing. */
export function getRolesSql(passwords: { app: string; readonly: string }): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return `
CREATE ROLE ${APP_ROLE} LOGIN PASSWORD ${q(passwords.app)};
CREATE ROLE ${READONLY_ROLE} LOGIN PASSWORD ${q(passwords.readonly)};
ALTER ROLE ${READONLY_ROLE} SET default_transaction_read_only = on;
GRANT pg_read_all_data TO ${READONLY_ROLE};
GRANT CONNECT ON DATABASE ${DATABASE_NAME} TO ${APP_ROLE}, ${READONLY_ROLE};
`;
}

/** Grants run inside the database after the schema exists. */
export function getGrantsSql(): string {
  return `
GRANT USAGE ON SCHEMA public TO ${APP_ROLE}, ${READONLY_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE};
`;
}
