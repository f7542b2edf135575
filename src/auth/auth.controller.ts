import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { AuthService } from './auth.service';
import { CurrentUser, Public } from '../shared/auth/decorators';
import { LoginDto, MeResponse, RefreshTokenDto, TokenResponse } from './login.dto';
import { LoginRateLimited, RefreshRateLimited } from '../rate-limit/rate-limit.decorators';
import { JsonBodyLimit } from '../shared/http/json-body.guard';

/** An email (254) and a password (1024 characters, each at most 6 bytes as a JSON escape) fit; nothing much bigger is read before the password check. */
const LOGIN_BODY_LIMIT_BYTES = 8 * 1024;
/** A refresh token is 47 characters; the DTO allows 512. */
const REFRESH_BODY_LIMIT_BYTES = 4 * 1024;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @LoginRateLimited()
  @JsonBodyLimit(LOGIN_BODY_LIMIT_BYTES)
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for a bearer token' })
  @ApiOkResponse({ type: TokenResponse })
  login(@Body() body: LoginDto): Promise<TokenResponse> {
    return this.auth.login(body.email, body.password);
  }

  @Post('refresh')
  @Public()
  @RefreshRateLimited()
  @JsonBodyLimit(REFRESH_BODY_LIMIT_BYTES)
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new access token and refresh token (the old one is used up)' })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({ description: 'INVALID_REFRESH_TOKEN: unknown, expired, revoked or used before (a reuse revokes every token of its login)' })
  refresh(@Body() body: RefreshTokenDto): Promise<TokenResponse> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @Public()
  @RefreshRateLimited()
  @JsonBodyLimit(REFRESH_BODY_LIMIT_BYTES)
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a refresh token and every token of its login' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiUnauthorizedResponse({ description: 'INVALID_REFRESH_TOKEN: no such refresh token was issued' })
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentUser() user: AuthUser): MeResponse {
    const me: MeResponse = { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId };
    if (user.apiKeyId) me.apiKeyId = user.apiKeyId;
    return me;
  }
}
