import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import "./i18n";
import { ApiProblemError, onUnauthenticated } from "./api/client";
import { router } from "./app/routes";
import "./styles.css";
import { signInThenBackTo } from "./auth/next-page";
import { Loading } from "./ui/States";

const retry = (count: number, error: unknown) =>
  count < 2 && !(error instanceof ApiProblemError && error.status > 0 && error.status < 500);

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry, staleTime: 10_000, refetchOnWindowFocus: false } },
  queryCache: new QueryCache(),
  mutationCache: new MutationCache(),
});

onUnauthenticated(() => {
  if (!window.location.pathname.startsWith("/login")) {
    queryClient.clear();
    // Back to this page once signed in again.
    void router.navigate(signInThenBackTo(window.location.pathname + window.location.search));
  }
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        {/* The sign-in page loads on its own (app/lazy-page.tsx); the shell's pages have a Suspense of their own. */}
        <Suspense fallback={<Loading />}>
          <RouterProvider router={router} />
        </Suspense>
      </QueryClientProvider>
    </StrictMode>,
  );
}
