/** The environments a new project starts with, in promotion order. */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'development', rank: 10, protected: false, description: 'Where prompts are tried out.' },
  { name: 'staging', rank: 20, protected: false, description: 'Pre-production checks.' },
  { name: 'production', rank: 30, protected: true, description: 'What users get.' },
] as const;
