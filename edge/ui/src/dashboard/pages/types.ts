// What every dashboard page is given.
import type { Schemas } from '../../api.ts';

export type Me = Schemas['Me'];
export type PageProps = { me: Me };
