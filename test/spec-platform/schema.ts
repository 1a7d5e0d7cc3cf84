// The spec platform's own schema: the tables platform.md names, plus weekly availability and blackout days.
import type { ClientBase } from 'pg';

const SCHEMA_SQL = `
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
  id char(26) PRIMARY KEY,
  email text NOT NULL UNIQUE,
  hashed_password text NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('student', 'instructor', 'admin')),
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instructor_profiles (
  user_id char(26) PRIMARY KEY REFERENCES users(id),
  rating_average numeric(3, 2),
  rating_count integer NOT NULL DEFAULT 0
);

CREATE TABLE service_categories (
  id char(26) PRIMARY KEY,
  name text NOT NULL,
  slug text NOT NULL UNIQUE
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
  search_terms text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE instructor_services (
  id char(26) PRIMARY KEY,
  instructor_id char(26) NOT NULL REFERENCES users(id),
  service_catalog_id char(26) NOT NULL REFERENCES service_catalog(id),
  duration_options integer[] NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  UNIQUE (instructor_id, service_catalog_id)
);

CREATE TABLE service_format_pricing (
  id char(26) PRIMARY KEY,
  instructor_service_id char(26) NOT NULL REFERENCES instructor_services(id),
  format text NOT NULL CHECK (format IN ('student_location', 'instructor_location', 'online')),
  hourly_rate numeric(10, 2) NOT NULL CHECK (hourly_rate > 0 AND hourly_rate <= 1000),
  UNIQUE (instructor_service_id, format)
);

CREATE TABLE weekly_availability (
  id char(26) PRIMARY KEY,
  instructor_id char(26) NOT NULL REFERENCES users(id),
  day_of_week smallint NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
  start_time time NOT NULL,
  end_time time NOT NULL CHECK (end_time > start_time)
);

CREATE TABLE blackout_dates (
  instructor_id char(26) NOT NULL REFERENCES users(id),
  date date NOT NULL,
  PRIMARY KEY (instructor_id, date)
);

CREATE TABLE bookings (
  id char(26) PRIMARY KEY,
  student_id char(26) NOT NULL REFERENCES users(id),
  instructor_id char(26) NOT NULL REFERENCES users(id),
  instructor_service_id char(26) NOT NULL REFERENCES instructor_services(id),
  booking_date date NOT NULL,
  start_time time NOT NULL,
  end_time time NOT NULL CHECK (end_time > start_time),
  duration_minutes integer NOT NULL,
  location_type text NOT NULL,
  timezone text NOT NULL,
  hourly_rate numeric(10, 2) NOT NULL,
  total_price numeric(10, 2) NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')),
  booking_span tsrange GENERATED ALWAYS AS (tsrange(booking_date + start_time, booking_date + end_time)) STORED,
  -- PENDING is left to the advisory lock and the application check, as on the platform
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (instructor_id WITH =, booking_span WITH &&)
    WHERE (status IN ('CONFIRMED', 'COMPLETED', 'NO_SHOW'))
);
CREATE INDEX bookings_instructor_date ON bookings (instructor_id, booking_date);
CREATE INDEX bookings_student ON bookings (student_id);
`;

export async function applySchema(client: ClientBase): Promise<void> {
  await client.query(SCHEMA_SQL);
}

/** A login role that can read every table and change nothing (for invariant checks). */
export async function createReadonlyRole(client: ClientBase, role: string, password: string): Promise<void> {
  const quotedPassword = `'${password.replace(/'/g, "''")}'`;
  await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${quotedPassword}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
}
