/** The seeded service catalog: categories -> subcategories -> services with their search terms. */

export interface CatalogServiceSeed {
  name: string;
  slug: string;
  searchTerms: string[];
}

export interface CatalogSubcategorySeed {
  name: string;
  slug: string;
  services: CatalogServiceSeed[];
}

export interface CatalogCategorySeed {
  name: string;
  slug: string;
  /** Words that name the whole category in a query ("music lessons"). */
  searchTerms: string[];
  subcategories: CatalogSubcategorySeed[];
}

const service = (name: string, slug: string, searchTerms: string[]): CatalogServiceSeed => ({
  name,
  slug,
  searchTerms,
});

export const catalogSeed: CatalogCategorySeed[] = [
  {
    name: 'Music',
    slug: 'music',
    searchTerms: ['music', 'musical', 'instrument', 'instruments'],
    subcategories: [
      {
        name: 'Instruments',
        slug: 'instruments',
        services: [
          service('Piano', 'piano', ['piano', 'pianist', 'keyboard', 'keys']),
          service('Guitar', 'guitar', [
            'guitar',
            'guitarist',
            'acoustic guitar',
            'electric guitar',
            'bass guitar',
          ]),
          service('Violin', 'violin', ['violin', 'violinist', 'fiddle']),
          service('Drums', 'drums', ['drums', 'drum', 'drummer', 'percussion']),
        ],
      },
      {
        name: 'Vocal',
        slug: 'vocal',
        services: [service('Voice', 'voice', ['voice', 'singing', 'sing', 'singer', 'vocal', 'vocals'])],
      },
    ],
  },
  {
    name: 'Languages',
    slug: 'languages',
    searchTerms: ['language', 'languages'],
    subcategories: [
      {
        name: 'World languages',
        slug: 'world-languages',
        services: [
          service('Spanish', 'spanish', ['spanish', 'espanol']),
          service('French', 'french', ['french', 'francais']),
          service('Mandarin', 'mandarin', ['mandarin', 'chinese']),
        ],
      },
    ],
  },
  {
    name: 'Sports & fitness',
    slug: 'sports-fitness',
    searchTerms: ['sport', 'sports', 'fitness', 'exercise'],
    subcategories: [
      { name: 'Racket sports', slug: 'racket-sports', services: [service('Tennis', 'tennis', ['tennis'])] },
      {
        name: 'Aquatics',
        slug: 'aquatics',
        services: [service('Swimming', 'swimming', ['swimming', 'swim', 'swimmer'])],
      },
      {
        name: 'Mind & body',
        slug: 'mind-body',
        services: [service('Yoga', 'yoga', ['yoga', 'vinyasa', 'hatha'])],
      },
    ],
  },
  {
    name: 'Tutoring',
    slug: 'tutoring',
    searchTerms: ['tutoring', 'academic', 'academics', 'homework'],
    subcategories: [
      {
        name: 'Math',
        slug: 'math-tutoring',
        services: [
          service('Math', 'math', ['math', 'maths', 'mathematics', 'algebra', 'geometry', 'calculus']),
        ],
      },
      {
        name: 'Test prep',
        slug: 'test-prep',
        services: [service('SAT prep', 'sat-prep', ['sat', 'sat prep', 'test prep'])],
      },
      {
        name: 'Science',
        slug: 'science',
        services: [service('Chemistry', 'chemistry', ['chemistry', 'chem'])],
      },
    ],
  },
];
