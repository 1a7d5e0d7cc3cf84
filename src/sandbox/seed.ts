/**
 * Deterministic seed data (fixed PRNG seed): catalog, users with real bcrypt hashes, instructor services with
 * format pricing spread over $30-$200, 30 days of availability and past bookings. Rows are built in memory and
 * inserted set-wise (`INSERT ... SELECT FROM unnest(arrays)`), never row by row.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type pg from 'pg';
import { ulid } from 'ulid';
import { catalogSeed } from './catalog.js';
import type { AccountRole } from './state.js';

export const SEED = 20260115;
export const BCRYPT_COST = 10;
export const INSTRUCTOR_COUNT = 240;
export const STUDENT_COUNT = 2400;
export const LOAD_TEST_STUDENT_COUNT = 200;
export const PAST_BOOKING_COUNT = 20_400;
export const EMAIL_DOMAIN = 'sandbox.instainstru.test';
const ID_EPOCH = Date.UTC(2025, 0, 1);

export const accountEmails: Record<AccountRole, string> = {
  studentA: `student.a@${EMAIL_DOMAIN}`,
  studentB: `student.b@${EMAIL_DOMAIN}`,
  instructor: `instructor@${EMAIL_DOMAIN}`,
  admin: `admin@${EMAIL_DOMAIN}`,
};

export interface SeedPasswords {
  accounts: Record<AccountRole, string>;
  loadTest: string;
}

/** bcrypt hashes of the seed's passwords; `filler` belongs to a random password nobody knows. */
export interface SeedHashes {
  accounts: Record<AccountRole, string>;
  loadTest: string;
  filler: string;
}

/** Computes each distinct hash once (async, so it overlaps with initdb). */
export async function hashSeedPasswords(passwords: SeedPasswords): Promise<SeedHashes> {
  const roles = Object.keys(passwords.accounts) as AccountRole[];
  const [loadTest, filler, ...accountHashes] = await Promise.all([
    bcrypt.hash(passwords.loadTest, BCRYPT_COST),
    bcrypt.hash(randomBytes(24).toString('base64url'), BCRYPT_COST),
    ...roles.map((role) => bcrypt.hash(passwords.accounts[role], BCRYPT_COST)),
  ]);
  const accounts = Object.fromEntries(roles.map((role, i) => [role, accountHashes[i] as string])) as Record<
    AccountRole,
    string
  >;
  return { accounts, loadTest: loadTest as string, filler: filler as string };
}

export interface SeedSummary {
  loadTestEmails: string[];
  counts: Record<string, number>;
}

/** mulberry32: a small deterministic PRNG. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Column = { name: string; type: string; values: unknown[] };

/** Array columns travel as array literals (text) and are cast here. */
const castOf: Record<string, string> = { search_terms: 'text[]', duration_options: 'int[]' };

/** Inserts many rows with one statement: one array parameter per column. */
async function insertRows(client: pg.ClientBase, table: string, columns: Column[]): Promise<number> {
  const names = columns.map((c) => c.name).join(', ');
  const arrays = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const selected = columns.map((c) => (castOf[c.name] ? `${c.name}::${castOf[c.name]}` : c.name)).join(', ');
  await client.query(
    `INSERT INTO ${table} (${names}) SELECT ${selected} FROM unnest(${arrays}) AS t(${names})`,
    columns.map((c) => c.values),
  );
  return columns[0]?.values.length ?? 0;
}

function columnsOf(rows: Array<Record<string, unknown>>, types: Record<string, string>): Column[] {
  return Object.entries(types).map(([name, type]) => ({
    name,
    type,
    values: rows.map((r) => r[name] ?? null),
  }));
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

const firstNames = [
  'Ava',
  'Liam',
  'Maya',
  'Noah',
  'Zoe',
  'Ethan',
  'Iris',
  'Owen',
  'Lena',
  'Omar',
  'Priya',
  'Jonah',
  'Sofia',
  'Mateo',
  'Hana',
  'Felix',
  'Nia',
  'Arjun',
  'Clara',
  'Diego',
];
const lastNames = [
  'Nguyen',
  'Garcia',
  'Smith',
  'Khan',
  'Rossi',
  'Cohen',
  'Okafor',
  'Silva',
  'Müller',
  'Park',
  'Dubois',
  'Ivanova',
  'Haddad',
  'Kim',
  'Lopez',
  'Baker',
  'Sato',
  'Moreau',
  'Patel',
  'Fischer',
];
const regions = ['manhattan', 'brooklyn', 'queens', 'bronx', 'staten-island'];
const formats = ['instructor_location', 'student_location', 'online'] as const;

/** Writes the whole seed into an empty schema. */
export async function seedDatabase(
  client: pg.ClientBase,
  hashes: SeedHashes,
  today = new Date(),
): Promise<SeedSummary> {
  const random = createPrng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let idTime = ID_EPOCH;
  const nextId = () => {
    idTime += 1000;
    return ulid(idTime, random);
  };
  const counts: Record<string, number> = {};

  // catalog
  const categories: Array<Record<string, unknown>> = [];
  const subcategories: Array<Record<string, unknown>> = [];
  const services: Array<Record<string, unknown>> = [];
  catalogSeed.forEach((category, order) => {
    const categoryId = nextId();
    categories.push({ id: categoryId, name: category.name, slug: category.slug, display_order: order + 1 });
    for (const sub of category.subcategories) {
      const subId = nextId();
      subcategories.push({ id: subId, category_id: categoryId, name: sub.name, slug: sub.slug });
      for (const s of sub.services)
        services.push({
          id: nextId(),
          subcategory_id: subId,
          name: s.name,
          slug: s.slug,
          search_terms: `{${s.searchTerms.map((t) => `"${t}"`).join(',')}}`,
        });
    }
  });
  counts.service_categories = await insertRows(
    client,
    'service_categories',
    columnsOf(categories, { id: 'text', name: 'text', slug: 'text', display_order: 'int' }),
  );
  counts.service_subcategories = await insertRows(
    client,
    'service_subcategories',
    columnsOf(subcategories, { id: 'text', category_id: 'text', name: 'text', slug: 'text' }),
  );
  counts.service_catalog = await insertRows(
    client,
    'service_catalog',
    columnsOf(services, {
      id: 'text',
      subcategory_id: 'text',
      name: 'text',
      slug: 'text',
      search_terms: 'text',
    }),
  );

  const fillerHash = hashes.filler;
  const loadHash = hashes.loadTest;

  const users: Array<Record<string, unknown>> = [];
  const addUser = (email: string, role: string, hashed: string, index: number) => {
    const id = nextId();
    users.push({
      id,
      email,
      hashed_password: hashed,
      role,
      first_name: firstNames[index % firstNames.length],
      last_name: lastNames[(index * 7) % lastNames.length],
      phone: null,
    });
    return id;
  };
  addUser(accountEmails.admin, 'admin', hashes.accounts.admin, 0);
  const instructorIds: string[] = [];
  for (let i = 0; i < INSTRUCTOR_COUNT; i++) {
    const email =
      i === 0 ? accountEmails.instructor : `instructor${String(i).padStart(4, '0')}@${EMAIL_DOMAIN}`;
    instructorIds.push(
      addUser(email, 'instructor', i === 0 ? hashes.accounts.instructor : fillerHash, i + 3),
    );
  }
  const studentIds: string[] = [];
  const studentA = addUser(accountEmails.studentA, 'student', hashes.accounts.studentA, 1);
  const studentB = addUser(accountEmails.studentB, 'student', hashes.accounts.studentB, 2);
  studentIds.push(studentA, studentB);
  const loadTestEmails: string[] = [];
  for (let i = 1; i <= LOAD_TEST_STUDENT_COUNT; i++) {
    const email = `loadtest.student${String(i).padStart(4, '0')}@${EMAIL_DOMAIN}`;
    loadTestEmails.push(email);
    studentIds.push(addUser(email, 'student', loadHash, i + 11));
  }
  for (let i = studentIds.length; i < STUDENT_COUNT; i++) {
    studentIds.push(
      addUser(`student${String(i).padStart(4, '0')}@${EMAIL_DOMAIN}`, 'student', fillerHash, i + 5),
    );
  }
  counts.users = await insertRows(
    client,
    'users',
    columnsOf(users, {
      id: 'text',
      email: 'text',
      hashed_password: 'text',
      role: 'text',
      first_name: 'text',
      last_name: 'text',
      phone: 'text',
    }),
  );

  // instructor profiles, services and pricing
  const profiles: Array<Record<string, unknown>> = [];
  const instructorServices: Array<Record<string, unknown>> = [];
  const pricing: Array<Record<string, unknown>> = [];
  const servicesByInstructor = new Map<string, Array<{ id: string; rate: number; format: string }>>();
  instructorIds.forEach((instructorId, i) => {
    profiles.push({
      id: nextId(),
      user_id: instructorId,
      bio: `Patient teacher with ${3 + (i % 20)} years of experience.`,
      years_experience: 3 + (i % 20),
      region: regions[i % regions.length],
      rating_average: (3.5 + random() * 1.5).toFixed(2),
      rating_count: Math.floor(random() * 200),
    });
    const chosen = new Set<number>([i % services.length]);
    const extra = Math.floor(random() * 3);
    while (chosen.size < 1 + extra) chosen.add(Math.floor(random() * services.length));
    const own: Array<{ id: string; rate: number; format: string }> = [];
    let first = true;
    for (const catalogIndex of chosen) {
      const serviceId = nextId();
      // a third of each service's primary instructors price under $80, so price-bounded queries select a real subset
      const cheap = first && Math.floor(i / services.length) % 3 === 0;
      const base = Math.round(cheap ? 30 + random() * 49 : 30 + random() * 170);
      first = false;
      instructorServices.push({
        id: serviceId,
        instructor_id: instructorId,
        service_catalog_id: services[catalogIndex]?.id,
        duration_options: random() < 0.5 ? '{60}' : '{30,60,90}',
      });
      const formatCount = 1 + Math.floor(random() * 3);
      let minRate = Number.POSITIVE_INFINITY;
      let minFormat = 'instructor_location';
      for (const format of formats.slice(0, formatCount)) {
        const rate =
          format === 'student_location'
            ? Math.min(200, base + 10 + Math.round(random() * 20))
            : format === 'online'
              ? Math.max(30, base - Math.round(random() * 10))
              : base;
        pricing.push({ id: nextId(), instructor_service_id: serviceId, format, hourly_rate: rate });
        if (rate < minRate) {
          minRate = rate;
          minFormat = format;
        }
      }
      own.push({ id: serviceId, rate: minRate, format: minFormat });
    }
    servicesByInstructor.set(instructorId, own);
  });
  counts.instructor_profiles = await insertRows(
    client,
    'instructor_profiles',
    columnsOf(profiles, {
      id: 'text',
      user_id: 'text',
      bio: 'text',
      years_experience: 'int',
      region: 'text',
      rating_average: 'numeric',
      rating_count: 'int',
    }),
  );
  counts.instructor_services = await insertRows(
    client,
    'instructor_services',
    columnsOf(instructorServices, {
      id: 'text',
      instructor_id: 'text',
      service_catalog_id: 'text',
      duration_options: 'text',
    }),
  );
  counts.service_format_pricing = await insertRows(
    client,
    'service_format_pricing',
    columnsOf(pricing, { id: 'text', instructor_service_id: 'text', format: 'text', hourly_rate: 'numeric' }),
  );

  // availability: the next 30 days, five days a week, two windows a day
  const availability: Array<Record<string, unknown>> = [];
  instructorIds.forEach((instructorId, i) => {
    for (let day = 0; day < 30; day++) {
      if ((day + i) % 7 >= 5) continue;
      const date = formatDate(addDays(today, day));
      availability.push({
        id: nextId(),
        instructor_id: instructorId,
        specific_date: date,
        start_time: '09:00',
        end_time: '12:00',
      });
      availability.push({
        id: nextId(),
        instructor_id: instructorId,
        specific_date: date,
        start_time: '14:00',
        end_time: '20:00',
      });
    }
  });
  counts.availability_slots = await insertRows(
    client,
    'availability_slots',
    columnsOf(availability, {
      id: 'text',
      instructor_id: 'text',
      specific_date: 'date',
      start_time: 'time',
      end_time: 'time',
    }),
  );

  // past bookings: one a day per instructor at most, so the exclusion constraint holds
  const bookings: Array<Record<string, unknown>> = [];
  const addBooking = (fields: {
    studentId: string;
    instructorIndex: number;
    date: string;
    hour: number;
    status: string;
    createdAt: string;
  }) => {
    const instructorId = instructorIds[fields.instructorIndex] as string;
    const own = servicesByInstructor.get(instructorId) ?? [];
    const chosen = own[Math.floor(random() * own.length)] ?? own[0];
    if (!chosen) return;
    bookings.push({
      id: nextId(),
      student_id: fields.studentId,
      instructor_id: instructorId,
      instructor_service_id: chosen.id,
      booking_date: fields.date,
      start_time: `${String(fields.hour).padStart(2, '0')}:00`,
      end_time: `${String(fields.hour + 1).padStart(2, '0')}:00`,
      status: fields.status,
      hourly_rate: chosen.rate,
      total_price: chosen.rate,
      duration_minutes: 60,
      location_type: chosen.format,
      created_at: fields.createdAt,
    });
  };
  for (let n = 0; n < PAST_BOOKING_COUNT; n++) {
    const daysAgo = 1 + Math.floor(n / INSTRUCTOR_COUNT);
    const date = addDays(today, -daysAgo);
    const r = random();
    addBooking({
      studentId: pick(studentIds),
      instructorIndex: n % INSTRUCTOR_COUNT,
      date: formatDate(date),
      hour: 9 + ((n * 7) % 10),
      status: r < 0.86 ? 'COMPLETED' : r < 0.95 ? 'CANCELLED' : 'NO_SHOW',
      createdAt: addDays(date, -3).toISOString(),
    });
  }
  // upcoming bookings of the named students (at 07:00, outside the availability windows load scenarios book)
  for (const [k, studentId] of [studentA, studentB].entries()) {
    for (let j = 0; j < 2; j++) {
      addBooking({
        studentId,
        instructorIndex: 1 + k * 2 + j,
        date: formatDate(addDays(today, 2 + j)),
        hour: 7,
        status: 'CONFIRMED',
        createdAt: today.toISOString(),
      });
    }
  }
  counts.bookings = await insertRows(
    client,
    'bookings',
    columnsOf(bookings, {
      id: 'text',
      student_id: 'text',
      instructor_id: 'text',
      instructor_service_id: 'text',
      booking_date: 'date',
      start_time: 'time',
      end_time: 'time',
      status: 'text',
      hourly_rate: 'numeric',
      total_price: 'numeric',
      duration_minutes: 'int',
      location_type: 'text',
      created_at: 'timestamptz',
    }),
  );
  return { loadTestEmails, counts };
}
