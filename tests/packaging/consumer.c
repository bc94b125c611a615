/* A program that uses the installed libe2b the way a user would: built with
 * `cc consumer.c $(pkg-config --cflags --libs e2b)` and through find_package(e2b). It needs no
 * server: it checks the version/ABI and that a client can be created and freed. */
#include <e2b.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    if (e2b_abi_version() != E2B_ABI_VERSION) {
        fprintf(stderr, "ABI mismatch: library %d, header %d\n", e2b_abi_version(), E2B_ABI_VERSION);
        return 1;
    }
    e2b_client_opts opts;
    if (e2b_client_opts_init(&opts, E2B_CLIENT_OPTS_VERSION) != E2B_OK) return 1;
    opts.flags = E2B_CLIENT_F_NO_ENV;
    opts.api_key = "e2b_0000000000000000000000000000000000000000";
    opts.api_url = "http://127.0.0.1:9";
    e2b_client *client = NULL;
    int rc = e2b_client_new(&client, &opts);
    if (rc != E2B_OK) {
        fprintf(stderr, "e2b_client_new: %s\n", e2b_error_last()->message);
        return 1;
    }
    e2b_client_free(client);
    /* a typed error with a message, through the installed library */
    rc = e2b_client_new(NULL, &opts);
    if (rc != E2B_EINVAL || strlen(e2b_error_last()->message) == 0) return 1;
    printf("libe2b %s (ABI %d): client created and freed; errors typed (%s)\n", e2b_version(), e2b_abi_version(),
           e2b_status_str(rc));
    return 0;
}
