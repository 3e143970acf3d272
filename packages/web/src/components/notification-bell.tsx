/**
 * The bell in the top bar: the unread count of the project's in-app notifications (alerts firing
 * and resolving, `GET /api/v1/notifications`, polled every 30 s) and, when opened, the latest
 * ones; opening one marks it read. Loaded lazily so the first page does not carry it.
 */
import type { Notification, NotificationPage } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { request } from '../api/client.ts';
import { formatAgo } from '../lib/format.ts';

export default function NotificationBell() {
  const [open, setOpen] = useState(false);
  const client = useQueryClient();
  const page = useQuery({
    queryKey: ['notifications'],
    queryFn: () => request<NotificationPage>('/notifications', { query: { limit: 20 } }),
    refetchInterval: 30_000,
  });
  const read = useMutation({
    mutationFn: (id: number) => request<Notification>(`/notifications/${id}/read`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const unread = page.data?.unread ?? 0;
  return (
    <div className="bell">
      <button
        type="button"
        className="ghost"
        aria-expanded={open}
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen(!open)}
      >
        🔔{unread > 0 ? <span className="bell-count">{unread}</span> : null}
      </button>
      {open ? (
        <div className="bell-panel card">
          {page.error ? (
            <p className="muted">Notifications could not be loaded.</p>
          ) : (page.data?.items.length ?? 0) === 0 ? (
            <p className="muted">No notifications. Alert rules (docs/alerts.md) post here when they fire.</p>
          ) : (
            <ul className="plain" aria-label="Notifications">
              {page.data?.items.map((n) => (
                <li key={n.id} className={n.readAt ? 'bell-item' : 'bell-item unread'}>
                  <button
                    type="button"
                    className="ghost bell-entry"
                    onClick={() => {
                      if (!n.readAt) read.mutate(n.id);
                    }}
                  >
                    <strong>{n.title}</strong>
                    <span className="muted small"> {formatAgo(n.createdAt)}</span>
                    <br />
                    <span className="small">{n.body}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}
