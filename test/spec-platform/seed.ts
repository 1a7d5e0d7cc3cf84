// A small deterministic data set: 3 categories, 10 catalog entries, 30 instructors, 60 students, 1 admin.
import bcrypt from 'bcryptjs';
import type { ClientBase } from 'pg';
import { ulid } from 'ulid';

export interface Account {
  email: string;
  password: string;
}

export interface SeededAccounts {
  students: Account[];
  instructor: Account;
  admin: Account;
}

export interface SeedPasswords {
  student: string;
  instructor: string;
  admin: string;
  /** The 29 other instructors: nobody logs in as them. */
  unused: string;
}

interface CatalogEntry {
  key: string;
  name: string;
  subcategory: string;
  terms: string[];
}

const CATEGORIES = [
  { key: 'music', name: 'Music', subcategories: ['Instruments', 'Vocal'] },
  { key: 'languages', name: 'Languages', subcategories: ['Spoken Languages'] },
  { key: 'tutoring', name: 'Tutoring', subcategories: ['Math & Science', 'Test Prep'] },
];

const CATALOG: CatalogEntry[] = [
  { key: 'piano', name: 'Piano', subcategory: 'Instruments', terms: ['piano', 'keyboard'] },
  { key: 'guitar', name: 'Guitar', subcategory: 'Instruments', terms: ['guitar', 'acoustic guitar'] },
  { key: 'violin', name: 'Violin', subcategory: 'Instruments', terms: ['violin', 'fiddle'] },
  { key: 'drums', name: 'Drums', subcategory: 'Instruments', terms: ['drums', 'drum kit', 'percussion'] },
  { key: 'voice', name: 'Voice', subcategory: 'Vocal', terms: ['voice', 'singing', 'vocal'] },
  { key: 'spanish', name: 'Spanish', subcategory: 'Spoken Languages', terms: ['spanish'] },
  { key: 'french', name: 'French', subcategory: 'Spoken Languages', terms: ['french'] },
  { key: 'math', name: 'Math', subcategory: 'Math & Science', terms: ['math', 'algebra', 'calculus'] },
  { key: 'chemistry', name: 'Chemistry', subcategory: 'Math & Science', terms: ['chemistry'] },
  { key: 'sat-prep', name: 'SAT Prep', subcategory: 'Test Prep', terms: ['sat', 'sat prep', 'test prep'] },
];

/** Piano teachers first (several at or under $80, several over), then the other entries in turn. */
const PIANO_RATES = [45, 55, 60, 70, 75, 95, 120, 150];
const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Cleo',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Iris',
  'Jonah',
  'Kira',
  'Leo',
  'Maya',
  'Nils',
  'Olga',
  'Pavel',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wes',
  'Xena',
  'Yusuf',
  'Zoe',
  'Amir',
  'Bea',
  'Cyrus',
  'Dana',
];
const LAST_NAMES = ['Moreno', 'Okafor', 'Lindqvist', 'Patel', 'Nakamura', 'Haddad', 'Kowalski', 'Brennan'];
export const INSTRUCTOR_COUNT = 30;
export const STUDENT_COUNT = 60;
export const BCRYPT_COST = 8;

/** mulberry32: a fixed seed gives the same IDs on every start. */
function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function insertRows(
  client: ClientBase,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
}

interface PlannedService {
  catalogKey: string;
  rate: number;
}

/** Which services (and online rates) instructor `i` offers. */
function planServices(i: number): PlannedService[] {
  const others = CATALOG.slice(1);
  const primary: PlannedService =
    i < PIANO_RATES.length
      ? { catalogKey: 'piano', rate: PIANO_RATES[i]! }
      : { catalogKey: others[(i - PIANO_RATES.length) % others.length]!.key, rate: 40 + ((i * 29) % 111) };
  if (i % 4 !== 1) return [primary];
  const second = others[i % others.length]!;
  if (second.key === primary.catalogKey) return [primary];
  return [primary, { catalogKey: second.key, rate: Math.min(150, primary.rate + 15) }];
}

export async function seedDatabase(client: ClientBase, passwords: SeedPasswords): Promise<SeededAccounts> {
  const prng = createPrng(20260101);
  let clock = Date.UTC(2026, 0, 1);
  const nextId = () => ulid(clock++, prng);
  const hash = (password: string) => bcrypt.hashSync(password, BCRYPT_COST);
  const hashes = {
    student: hash(passwords.student),
    instructor: hash(passwords.instructor),
    admin: hash(passwords.admin),
    unused: hash(passwords.unused),
  };

  const subcategoryIds = new Map<string, string>();
  const categoryRows: unknown[][] = [];
  const subcategoryRows: unknown[][] = [];
  for (const category of CATEGORIES) {
    const categoryId = nextId();
    categoryRows.push([categoryId, category.name, category.key]);
    for (const name of category.subcategories) {
      const id = nextId();
      subcategoryIds.set(name, id);
      subcategoryRows.push([id, categoryId, name, name.toLowerCase().replace(/[^a-z]+/g, '-')]);
    }
  }
  const catalogIds = new Map<string, string>();
  const catalogRows = CATALOG.map((entry) => {
    const id = nextId();
    catalogIds.set(entry.key, id);
    return [id, subcategoryIds.get(entry.subcategory), entry.name, entry.key, entry.terms];
  });

  const userRows: unknown[][] = [];
  const profileRows: unknown[][] = [];
  const serviceRows: unknown[][] = [];
  const pricingRows: unknown[][] = [];
  const availabilityRows: unknown[][] = [];
  for (let i = 0; i < INSTRUCTOR_COUNT; i++) {
    const id = nextId();
    const email = i === 0 ? 'instructor@spec.test' : `instructor${String(i + 1).padStart(2, '0')}@spec.test`;
    const passwordHash = i === 0 ? hashes.instructor : hashes.unused;
    userRows.push([id, email, passwordHash, FIRST_NAMES[i], LAST_NAMES[i % LAST_NAMES.length], 'instructor']);
    const ratingCount = i === INSTRUCTOR_COUNT - 1 ? 0 : 3 + ((i * 11) % 40);
    profileRows.push([id, ratingCount === 0 ? null : 3.5 + ((i * 7) % 15) / 10, ratingCount]);
    for (const service of planServices(i)) {
      const serviceId = nextId();
      const durations = i % 5 === 4 ? [60] : [30, 60, 90];
      serviceRows.push([serviceId, id, catalogIds.get(service.catalogKey), durations]);
      pricingRows.push([nextId(), serviceId, 'online', service.rate]);
      pricingRows.push([nextId(), serviceId, 'instructor_location', service.rate + 10]);
      if (i % 2 === 0) pricingRows.push([nextId(), serviceId, 'student_location', service.rate + 20]);
    }
    for (let day = 1; day <= 5; day++) availabilityRows.push([nextId(), id, day, '09:00', '17:00']);
  }
  const students: Account[] = [];
  for (let n = 1; n <= STUDENT_COUNT; n++) {
    const number = String(n).padStart(3, '0');
    const email = `student${number}@spec.test`;
    students.push({ email, password: passwords.student });
    userRows.push([nextId(), email, hashes.student, 'Student', `S${number}`, 'student']);
  }
  userRows.push([nextId(), 'admin@spec.test', hashes.admin, 'Admin', 'Spec', 'admin']);

  await insertRows(client, 'service_categories', ['id', 'name', 'slug'], categoryRows);
  await insertRows(client, 'service_subcategories', ['id', 'category_id', 'name', 'slug'], subcategoryRows);
  await insertRows(
    client,
    'service_catalog',
    ['id', 'subcategory_id', 'name', 'slug', 'search_terms'],
    catalogRows,
  );
  const userColumns = ['id', 'email', 'hashed_password', 'first_name', 'last_name', 'role'];
  await insertRows(client, 'users', userColumns, userRows);
  await insertRows(client, 'instructor_profiles', ['user_id', 'rating_average', 'rating_count'], profileRows);
  const serviceColumns = ['id', 'instructor_id', 'service_catalog_id', 'duration_options'];
  await insertRows(client, 'instructor_services', serviceColumns, serviceRows);
  const pricingColumns = ['id', 'instructor_service_id', 'format', 'hourly_rate'];
  await insertRows(client, 'service_format_pricing', pricingColumns, pricingRows);
  const availabilityColumns = ['id', 'instructor_id', 'day_of_week', 'start_time', 'end_time'];
  await insertRows(client, 'weekly_availability', availabilityColumns, availabilityRows);
  return {
    students,
    instructor: { email: 'instructor@spec.test', password: passwords.instructor },
    admin: { email: 'admin@spec.test', password: passwords.admin },
  };
}
