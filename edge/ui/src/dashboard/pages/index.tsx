// The dashboard's pages, in the order of its navigation. Each page is one file of this folder.
import type { FunctionComponent } from 'preact';
import { AccountPage } from './account.tsx';
import { DevicesPage } from './devices.tsx';
import { LogsPage } from './logs.tsx';
import { MessagesPage } from './messages.tsx';
import { NumbersPage } from './numbers.tsx';
import { RulesPage } from './rules.tsx';
import { SchedulingPage } from './scheduling.tsx';
import { SmsPage } from './sms.tsx';
import { UsagePage } from './usage.tsx';
import { WebhooksPage } from './webhooks.tsx';

import type { PageProps } from './types.ts';

export type { Me, PageProps } from './types.ts';

export const PAGES: { path: string; title: string; component: FunctionComponent<PageProps> }[] = [
  { path: 'numbers', title: 'Numbers', component: NumbersPage },
  { path: 'messages', title: 'Messages', component: MessagesPage },
  { path: 'scheduling', title: 'Scheduling', component: SchedulingPage },
  { path: 'webhooks', title: 'Webhooks', component: WebhooksPage },
  { path: 'devices', title: 'Devices', component: DevicesPage },
  { path: 'sms', title: 'SMS', component: SmsPage },
  { path: 'rules', title: 'Rules', component: RulesPage },
  { path: 'logs', title: 'Logs', component: LogsPage },
  { path: 'usage', title: 'Usage', component: UsagePage },
  { path: 'account', title: 'Account', component: AccountPage },
];
